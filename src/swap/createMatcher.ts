import { invalid } from '../lib/invalid.js';
import {
  BARE,
  IDD,
  NATIONAL,
  PLUS,
  PLUS_TRUNK,
  SEPARATORS,
  digitsIn,
  e164,
  parsePhone,
  trunkOf,
  writtenForms,
  type Form,
  type Phone,
} from './phone.js';

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
const RUN = new RegExp(`\\+?\\d(?:[\\d${SEPARATORS}]*\\d)?`, 'g');
/** A slash with space on a side separates two numbers: "020 123 4567 / 06 1234 5678". */
const CUT = /\s+\/\s*|\s*\/\s+/g;
/** Letters or digits glued to a run make it part of a word, a code or a longer number. */
const GLUED = /[\p{L}\p{N}_]/u;
/** Text before a run that makes it the tail of an IBAN ("NL91 ABNA 0417 1643 00"). */
const IBAN = /[A-Z]{2}\d\d(?: ?[A-Z\d]{4})* ?$/;
const LINK = /^(tel|sms|callto):(\/\/)?([^;?,]*)([^]*)$/i;

/** Conventional-looking groups for a national significant number whose length differs from the original's. */
const group = (nsn: string): string[] => {
  if (nsn.length <= 5) return [nsn];
  const area = nsn.length == 9 ? 2 : 3;
  const rest = nsn.slice(area);
  return [nsn.slice(0, area)].concat(rest.length > 5 ? [rest.slice(0, -4), rest.slice(-4)] : rest);
};

/** The tracking number written the way `written` (an occurrence of a site number in `form`) is written. */
const rewrite = (written: string, tracking: Phone, form: Form, sameCountry: boolean): string => {
  const digits = digitsIn(tracking, form, sameCountry);
  if (!sameCountry && form >= NATIONAL) form = PLUS;
  if ((form <= PLUS_TRUNK) == (written[0] == '+') && digits.length == written.replace(/\D/g, '').length) {
    // Same number of digits: every separator, bracket and space stays where it was.
    let i = 0;
    return written.replace(/\d/g, () => digits[i++]!);
  }
  const { cc, nsn } = tracking;
  const groups = group(nsn);
  const separator = /[^\d+()]/.exec(written.slice(1))?.[0] ?? '';
  if (form == PLUS_TRUNK && trunkOf(cc) != '0') form = PLUS;
  if (form == NATIONAL) groups[0] = trunkOf(cc) + groups[0];
  if (form == PLUS_TRUNK) groups[0] = '(0)' + groups[0];
  if (form != NATIONAL && form != BARE) groups.unshift((form == IDD ? '00' : '+') + cc);
  return groups.join(separator);
};

/**
 * Builds a matcher for `{ siteNumber: trackingNumber }`. Reports a config error (throws from the npm API, warns
 * once in the script-tag build and returns undefined) when any key or value is not a phone number.
 */
export function createMatcher(replacements: Record<string, string>, country?: string): Matcher | undefined {
  if (!replacements || typeof replacements != 'object') {
    return void invalid('replacements must be an object of { siteNumber: trackingNumber }');
  }
  const lookup = new Map<string, [Phone, Form, boolean, string]>();
  for (const [key, value] of Object.entries(replacements)) {
    const site = parsePhone(key, country);
    const tracking = site && parsePhone(value, country);
    if (!tracking) return;
    for (const [digits, form] of writtenForms(site!)) {
      if (!lookup.has(digits)) lookup.set(digits, [tracking, form, site!.cc == tracking.cc, e164(site!)]);
    }
  }

  const find = (text: string): Match[] => {
    const found: Match[] = [];
    for (const run of text.matchAll(RUN)) {
      const s = run[0];
      let from = 0;
      for (const cut of [...s.matchAll(CUT), { index: s.length, 0: '' }]) {
        const part = s.slice(from, cut.index).replace(/\D+$/, '');
        const skip = /^[^\d+]*/.exec(part)![0].length;
        const start = run.index + from + skip;
        const end = run.index + from + part.length;
        from = cut.index! + cut[0].length;
        const written = part.slice(skip);
        const entry = lookup.get((written[0] == '+' ? '+' : '') + written.replace(/\D/g, ''));
        if (
          entry &&
          !GLUED.test(text[start - 1] || '') &&
          !GLUED.test(text[end] || '') &&
          !IBAN.test(text.slice(Math.max(0, start - 40), start))
        ) {
          found.push([start, end, rewrite(written, entry[0], entry[1], entry[2]), entry[3]]);
        }
      }
    }
    return found;
  };

  const replace = (text: string): [string, Match[]] | undefined => {
    const matches = find(text);
    let out = '';
    let last = 0;
    for (const [start, end, replacement] of matches) {
      out += text.slice(last, start) + replacement;
      last = end;
    }
    return matches.length ? [out + text.slice(last), matches] : undefined;
  };

  return {
    find,
    replace,
    replaceHref(href) {
      const link = LINK.exec(href);
      if (!link) return;
      const [, scheme, slashes = '', number, rest] = link as unknown as string[];
      let decoded: string;
      try {
        decoded = decodeURIComponent(number!);
      } catch {
        return;
      }
      const replaced = replace(decoded);
      if (!replaced) return;
      let out = replaced[0];
      // Keep the href's own encoding: tel:%2B31… stays percent-encoded.
      if (/%2b/i.test(number!)) out = out.replace('+', '%2B');
      if (number!.includes('%20')) out = out.replace(/ /g, '%20');
      return [scheme + ':' + slashes + out + rest, replaced[1]];
    },
  };
}
