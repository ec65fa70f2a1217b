import { invalid } from '../lib/invalid.js';
import { SEPARATORS, digitsIn, parsePhone, trunkOf, writtenForms, type Form, type Phone } from './phone.js';

/** An occurrence found in a string: where it is, what replaces it, and which site number (E.164) it is. */
export type Match = [start: number, end: number, replacement: string, key: string];

/** Finds and rewrites the site's numbers in strings. */
export interface Matcher {
  /** Every occurrence of a site number in `text`, in order. */
  find(text: string): Match[];
  /** `text` with every occurrence replaced, and the matches; undefined when there is none. */
  replace(text: string): [string, Match[]] | undefined;
  /** A `tel:`, `sms:` or `callto:` href with its number replaced in the href's own style; undefined otherwise. */
  replaceHref(href: string): [string, Match[]] | undefined;
}

/** A run of digits and separators that starts with `+` or a digit and ends with a digit. */
const RUN = RegExp(`\\+?\\d(?:[\\d${SEPARATORS}]*\\d)?`, 'g');
/** A slash with space on a side separates two numbers: "020 123 4567 / 06 1234 5678". */
const CUT = /\s+\/\s*|\s*\/\s+/;
/** A letter or digit glued to a run makes it part of a word, a code or a longer number. */
const GLUED = /[\p{L}\p{N}_]/u;
/** Text before a run that makes the run the tail of an IBAN ("NL91 ABNA 0417 1643 00"). */
const IBAN = /[A-Z]{2}\d\d( ?[A-Z\d]{4})* ?$/;
const LINK = /^((?:tel|sms|callto):(?:\/\/)?)([^;?,]*)/i;

/**
 * The tracking number written like `written`, an occurrence of a site number in `form`: with as many digits, each
 * digit replaced in place; otherwise regrouped conventionally with the occurrence's separator.
 */
const rewrite = (written: string, tracking: Phone, form: Form, site: Phone): string => {
  // A national form only works within one country: otherwise write the tracking number internationally.
  if (tracking.cc != site.cc && form > 2) form = 0;
  const digits = digitsIn(tracking, form);
  let i = 0;
  if ((form < 2) == (written[0] == '+') && digits.length == written.replace(/\D/g, '').length) {
    return written.replace(/\d/g, () => digits[i++]!);
  }
  const { cc, nsn } = tracking;
  // The last four digits, and before them the rest with its last three split off: 20 123 4567, 800 1234.
  const head = nsn.slice(0, -4);
  const groups = [head.slice(0, head.length > 4 ? -3 : 9), head.slice(head.length > 4 ? -3 : 9), nsn.slice(-4)].filter(Boolean);
  if (form == 1 && trunkOf(cc) == '0') groups[0] = '(0)' + groups[0];
  if (form == 3) groups[0] = trunkOf(cc) + groups[0];
  if (form < 3) groups.unshift((form == 2 ? '00' : '+') + cc);
  return groups.join(/[^\d+()]/.exec(written.slice(1))?.[0] ?? '');
};

/**
 * A matcher for `{ siteNumber: trackingNumber }`. When a key or value is not a phone number it reports a config
 * error (the npm API throws) and returns undefined.
 */
export function createMatcher(replacements: Record<string, string>, country?: string): Matcher | undefined {
  const lookup = new Map<string, [Phone, Form, Phone, string]>();
  for (const [key, value] of Object.entries(replacements || invalid('replacements must be { siteNumber: trackingNumber }') || {})) {
    const site = parsePhone(key, country);
    const tracking = site && parsePhone(value, country);
    if (!tracking) return;
    for (const [digits, form] of writtenForms(site!)) {
      if (!lookup.has(digits)) lookup.set(digits, [tracking, form, site!, '+' + site!.cc + site!.nsn]);
    }
  }
  if (!replacements) return;

  const find = (text: string): Match[] => {
    const found: Match[] = [];
    for (const run of text.matchAll(RUN)) {
      let start = run.index;
      for (const part of run[0].split(CUT)) {
        const at = start + run[0].slice(start - run.index).indexOf(part);
        const end = at + part.length;
        const entry = lookup.get((part[0] == '+' ? '+' : '') + part.replace(/\D/g, ''));
        if (entry && !GLUED.test((text[at - 1] || '') + (text[end] || '')) && !IBAN.test(text.slice(at > 40 ? at - 40 : 0, at))) {
          found.push([at, end, rewrite(part, entry[0], entry[1], entry[2]), entry[3]]);
        }
        start = end;
      }
    }
    return found;
  };

  const replace = (text: string): [string, Match[]] | undefined => {
    const matches = find(text);
    let out = text;
    for (const [start, end, replacement] of matches.slice().reverse()) out = out.slice(0, start) + replacement + out.slice(end);
    return matches.length ? [out, matches] : undefined;
  };

  return {
    find,
    replace,
    replaceHref(href) {
      // tel:, sms: and callto: links; their numbers may be percent-encoded (tel:%2B31…), which we keep.
      const [, scheme, number] = LINK.exec(href) || [];
      const result = number && replace(number.replace(/%2b/gi, '+').replace(/%20/g, ' '));
      return result
        ? [
            scheme + (/%2b/i.test(number) ? result[0].replace('+', '%2B') : result[0]).replace(/ /g, number.includes('%20') ? '%20' : ' ') +
              href.slice(scheme!.length + number.length),
            result[1],
          ]
        : undefined;
    },
  };
}
