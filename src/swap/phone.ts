import { invalid } from '../lib/invalid.js';

// E.164 country calling codes are prefix-free: 1 and 7 have one digit, these have two, all others three.
// Source: ITU-T, "List of ITU-T Recommendation E.164 assigned country codes" (Complement to E.164, Annex to ITU
// Operational Bulletin No. 1199, 2020), https://www.itu.int/pub/T-SP-E.164D
const TWO_DIGITS = /^(2[07]|3[0-469]|4[013-9]|5[1-8]|6[0-6]|8[1246]|9[0-58])/;

// National (trunk) prefixes. Most countries dial 0; these dial another; NO_TRUNK ones dial none and keep every digit
// of the number nationally (Italy: 06 1234 5678 = +39 06 1234 5678). Source: the national numbering plans notified
// to the ITU (ITU-T E.164 supplement, "National numbering plans").
const TRUNKS: Record<string, string> = { 1: '1', 7: '8', 36: '06', 375: '8' };
const NO_TRUNK = /^(29[89]|3[049]|35[012467]|37[12678]|4[578]|420)$/;

// ISO 3166-1 alpha-2 → calling code, for site numbers written nationally (`"020 123 4567"` with `"NL"`). Kept
// short for size; elsewhere, write the numbers as +CC….
const COUNTRIES = 'US1CA1GB44IE353NL31BE32LU352FR33DE49AT43CH41IT39ES34PT351DK45SE46NO47FI358PL48AU61NZ64ZA27';

/** What a written number may contain besides digits (a RegExp character class body); `·` is a middle dot. */
const SEPARATORS = '\\s.\\/()\\-\\u2010-\\u2015\\u2212\\u00b7';
/** A run of digits and separators: starts with `+` or a digit, ends with a digit. */
const RUN = RegExp(`\\+?\\d([\\d${SEPARATORS}]*\\d)?`, 'g');
/**
 * Where a run that is no number may be cut into parts: whitespace next to a bracket, slash, dash, dot or middle dot
 * (in a run, what is neither digit nor whitespace), or a line break (`040 123 4567 (24/7)`,
 * `020 123 4567 / 06 12345678`, `Kerkstraat 12 - 020 123 4567`). A single separator between digit groups still
 * binds: `020 123 45678` is one run, and no number.
 */
const STRONG = /\n|\s(?=[^\d\s])|(?<=[^\d\s])\s/g;
/** The digits of a part of a run, and what is between them. */
const PART = /\+?\d(.*\d)?/s;
/** A letter or digit glued to a run makes it part of a word, a code or a longer number. */
const GLUED = /[\p{L}\p{N}_]/u;
/** Text before a run that makes it the tail of an IBAN ("NL91 ABNA 0417 1643 00"). */
const IBAN = /[A-Z]{2}\d\d( ?[A-Z\d]{4})* ?$/;

/** A phone number: country calling code and national significant number. */
export interface Phone {
  cc: string;
  nsn: string;
}

/** An occurrence in a string: where it is, what replaces it, and which site number (E.164) it is. */
export type Match = [start: number, end: number, replacement: string, key: string];

/** Finds the site's numbers in strings and writes tracking numbers in their place. */
export interface Matcher {
  /**
   * Finds the digits of a site number's national significant number, separators between them allowed (global): a
   * fast, sound prefilter, since every written form of a number ends with them, and digits of figures, dates and
   * order numbers seldom hold them.
   */
  runs: RegExp;
  /**
   * Every occurrence of a site number in `text`, in order. `bounds` are the offsets where one text node of a line
   * ends and the next begins: nothing across one glues, and a run of digits that crosses one may hold a number in
   * a part (minified markup: `<span>Bel</span><span>020…`, `<span>24/7</span><span>020…`).
   */
  find(text: string, bounds?: number[]): Match[];
  /** `text` with every occurrence replaced, and the matches; undefined when there is none. */
  replace(text: string): [string, Match[]] | undefined;
}

/** The number as E.164: `+31201234567`. */
export const e164 = ({ cc, nsn }: Phone): string => '+' + cc + nsn;

const trunkOf = (cc: string): string => TRUNKS[cc] ?? (NO_TRUNK.test(cc) ? '' : '0');

/**
 * Parses a number as a person writes it: `+31 20 123 4567`, `+31 (0)20 123 4567`, `0031 20 1234567`,
 * `+1 (555) 555-0123`, or nationally with an ISO `country` (`020 123 4567`, `"NL"`). Reports anything else as a
 * config error (throws from the npm API) and returns undefined.
 */
export function parsePhone(written: unknown, country?: string, quiet?: boolean): Phone | undefined {
  const text = String(written).trim();
  let digits = text.replace(/\D/g, '');
  let cc: string | undefined;
  let nsn = '';
  // No country code starts with 0: "+0169888888" and "+01579/2518524" are national numbers with a stray +, as found
  // on real sites.
  if ((text[0] == '+' && digits[0] != '0') || digits.startsWith('00')) {
    digits = text[0] == '+' ? digits : digits.slice(2);
    cc = digits.slice(0, /^[17]/.test(digits) ? 1 : TWO_DIGITS.test(digits) ? 2 : 3);
    nsn = digits.slice(cc.length);
    // "+31 (0)20 …": the (0) is the trunk prefix, not part of the number.
    if (/\(0\)/.test(text) && trunkOf(cc) == '0') nsn = nsn.replace(/^0/, '');
  } else if ((cc = /^[a-z]{2}$/i.test(country!) ? RegExp(country!.toUpperCase() + '(\\d+)').exec(COUNTRIES)?.[1] : '')) {
    const trunk = trunkOf(cc);
    // The North American trunk 1 is optional: 555-555-0123 and 1-555-555-0123 are the same number.
    nsn = digits.startsWith(trunk) && (cc != '1' || digits.length > 10) ? digits.slice(trunk.length) : digits;
  }
  return RegExp(`^\\+?[\\d${SEPARATORS}]+$`).test(text) && cc && nsn.length > 3 && (cc + nsn).length < 16
    ? { cc, nsn }
    : quiet
      ? undefined
      : void invalid(`"${text.slice(0, 40)}" is not a phone number` + (cc ? '' : ' (write it as +CC…, or pass a known country)'));
}

/**
 * The digits of a number in each written form: 0 `+31 20 123 4567`; 1 `+31 (0)20 123 4567` (also the common
 * `+31 020 …`); 2 `0031 20 1234567`; 3 `0031 (0)20 1234567`, as common on Dutch sites; 4 nationally,
 * `020 123 4567` or `1-555-555-0123`; 5 North America without the trunk 1, `(555) 555-0123`. The plus forms are
 * keyed with their `+`.
 */
const forms = ({ cc, nsn }: Phone): string[] => {
  const zero = trunkOf(cc) == '0' ? '0' : '';
  return ['+' + cc + nsn, '+' + cc + zero + nsn, '00' + cc + nsn, '00' + cc + zero + nsn, trunkOf(cc) + nsn, cc == '1' ? nsn : '-'];
};

/**
 * The tracking number written like `written`, an occurrence of a site number in form `form`: with as many digits,
 * each digit replaced in place; otherwise grouped as head and last four digits, with the occurrence's separator.
 */
const rewrite = (written: string, tracking: Phone, form: number, site: Phone): string => {
  // The stray + of "+0169…" goes: the tracking number is written as the national number it meant.
  if (written[1] == '0') written = written.replace('+', '');
  // A national form only works within one country: otherwise the tracking number is written internationally.
  if (tracking.cc != site.cc && form > 3) form = 0;
  const { cc, nsn } = tracking;
  const digits = forms(tracking)[form]!.replace('+', '');
  let i = 0;
  if ((form < 2) == (written[0] == '+') && digits.length == written.replace(/\D/g, '').length) {
    return written.replace(/\d/g, () => digits[i++]!);
  }
  const head = nsn.slice(0, -4);
  const split = head.length > 4 ? -3 : 9;
  const groups = [head.slice(0, split), head.slice(split), nsn.slice(-4)].filter(Boolean);
  if (form % 2 && form < 4 && trunkOf(cc) == '0') groups[0] = '(0)' + groups[0];
  if (form == 4) groups[0] = trunkOf(cc) + groups[0];
  if (form < 4) groups.unshift((form > 1 ? '00' : '+') + cc);
  return groups.join(/[^\d+()]/.exec(written.slice(1))?.[0] ?? '');
};

/**
 * A matcher for `{ siteNumber: trackingNumber }`. When a key or value is not a phone number it reports a config
 * error (the npm API throws) and returns undefined.
 */
export function createMatcher(replacements: Record<string, string>, country?: string): Matcher | undefined {
  /** Written digits → tracking number, form, site number, and the site number as E.164 (the match's key). */
  const lookup = new Map<string, [Phone, number, Phone, string]>();
  /** Written occurrence → what replaces it: a page writes its number the same way many times. */
  const rewritten: Record<string, string> = {};
  const nsns = new Set<string>();
  for (const [key, value] of Object.entries(replacements || invalid('replacements must be { siteNumber: trackingNumber }') || {})) {
    const site = parsePhone(key, country);
    const tracking = site && parsePhone(value, country);
    if (!tracking) return;
    forms(site).forEach((digits, form) => lookup.has(digits) || lookup.set(digits, [tracking, form, site, e164(site)]));
    nsns.add(site.nsn.split('').join(`[${SEPARATORS}]*`));
  }
  const runs = RegExp([...nsns].join('|') || '(?!)', 'g');
  const find = (text: string, bounds: number[] = []): Match[] => {
    // The character next to an occurrence; none across a node boundary, where nothing glues.
    const glued = (boundary: number, i: number): string => (bounds.includes(boundary) ? '' : text[i] || '');
    /** The occurrence of a site number that is the digits between `start` and `end`, if they are one. */
    const part = (start: number, end: number) => {
      const { 0: run, index } = PART.exec(text.slice(start, end)) || { 0: '' };
      const at = start + index!;
      end = at + run.length;
      const digits = run.replace(/\D/g, '');
      // A + before a 0 is a typo of a national number (no country code starts with 0): looked up without it.
      const entry = lookup.get((run[0] == '+' && digits[0] != '0' ? '+' : '') + digits);
      return (
        entry &&
        !GLUED.test(glued(at, at - 1) + glued(end, end)) &&
        !IBAN.test(text.slice(at > 40 ? at - 40 : 0, at)) &&
        ([at, end, rewritten[run] ??= rewrite(run, entry[0], entry[1], entry[2]), entry[3]] as Match)
      );
    };
    const found: Match[] = [];
    for (const { 0: whole, index: from } of text.matchAll(RUN)) {
      const to = from + whole.length;
      const match = part(from, to);
      if (match) found.push(match);
      // No number whole: its parts between the points where it crosses from one text node into the next
      // (`<span>24/7</span><span>020 123 4567</span>`) or may be cut (STRONG), longest first, the way
      // libphonenumber's matcher extracts inner matches. Parts of short runs only: a number with its neighbours is
      // short, and a long run (a table of figures, many tiny nodes) would have very many parts.
      else if (whole.length < 96) {
        const points = [from, ...bounds.filter((b) => b > from && b < to), ...[...whole.matchAll(STRONG)].map((m) => from + m.index)];
        points.sort((a, b) => a - b).push(to);
        for (let i = 0, j; i < points.length - 1; i = j > i ? j : i + 1) {
          for (j = points.length; --j > i; ) {
            const match = part(points[i]!, points[j]!);
            if (match) {
              found.push(match);
              break;
            }
          }
        }
      }
    }
    return found;
  };
  return (
    replacements && {
      runs,
      find,
      replace(text) {
        const matches = find(text);
        let out = text;
        for (const [start, end, replacement] of matches.slice().reverse()) out = out.slice(0, start) + replacement + out.slice(end);
        return matches[0] && [out, matches];
      },
    }
  );
}
