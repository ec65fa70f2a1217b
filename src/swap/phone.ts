import { invalid } from '../lib/invalid.js';

// E.164 country calling codes are prefix-free: 1 and 7 have one digit, these have two, all others three.
// Source: ITU-T, "List of ITU-T Recommendation E.164 assigned country codes" (Complement to E.164, Annex to ITU
// Operational Bulletin No. 1199, 2020), https://www.itu.int/pub/T-SP-E.164D
const TWO_DIGITS = /^(2[07]|3[0-469]|4[013-9]|5[1-8]|6[0-6]|8[1246]|9[0-58])/;

// National (trunk) prefixes. Most countries use 0; these use another; the NO_TRUNK ones use none and keep every
// digit of the number when dialling nationally (Italy: 06 1234 5678 = +39 06 1234 5678). Source: the national
// numbering plans notified to the ITU (ITU-T E.164 supplement, "National numbering plans").
const TRUNKS: Record<string, string> = { 1: '1', 7: '8', 36: '06', 375: '8' };
const NO_TRUNK = /^(29[89]|3[049]|35[012467]|37[12678]|4[578]|420)$/;

// ISO 3166-1 alpha-2 → calling code, for site numbers written nationally (`"020 123 4567"` with `"NL"`).
// Kept short for size: elsewhere, write numbers as +CC…
const COUNTRIES = 'US1CA1GB44IE353NL31BE32LU352FR33DE49AT43CH41IT39ES34PT351DK45SE46NO47FI358PL48CZ420AU61NZ64ZA27IN91BR55MX52';

/** A phone number: country calling code and national significant number. */
export interface Phone {
  cc: string;
  nsn: string;
}

/** What a written number may contain besides digits (a RegExp character class body). */
export const SEPARATORS = '\\s.\\/()\\-\\u2010-\\u2015\\u2212';
const WRITTEN = RegExp(`^\\+?[\\d${SEPARATORS}]+$`);

export const trunkOf = (cc: string): string => TRUNKS[cc] ?? (NO_TRUNK.test(cc) ? '' : '0');

/**
 * Parses a number as a person writes it: `+31 20 123 4567`, `+31 (0)20 123 4567`, `0031 20 1234567`,
 * `+1 (555) 555-0123`, or nationally with an ISO `country` (`020 123 4567`, `"NL"`). Reports anything else as a
 * config error (throws from the npm API) and returns undefined.
 */
export function parsePhone(written: unknown, country?: string): Phone | undefined {
  const text = String(written).trim();
  let digits = text.replace(/\D/g, '');
  let cc: string | undefined;
  let nsn = '';
  if (text[0] == '+' || digits.startsWith('00')) {
    digits = text[0] == '+' ? digits : digits.slice(2);
    cc = digits.slice(0, /^[17]/.test(digits) ? 1 : TWO_DIGITS.test(digits) ? 2 : 3);
    nsn = digits.slice(cc.length);
    // "+31 (0)20 …": the (0) is the trunk prefix, not part of the number.
    if (/\(0\)/.test(text) && trunkOf(cc) == '0') nsn = nsn.replace(/^0/, '');
  } else if ((cc = /^[a-z]{2}$/i.test(country!) ? RegExp(country!.toUpperCase() + '(\\d+)').exec(COUNTRIES)?.[1] : '')) {
    const trunk = trunkOf(cc);
    // The North American trunk 1 is optional: 555-555-0123 and 1-555-555-0123 are the same number.
    nsn = digits.startsWith(trunk) && (cc != '1' || digits.length == 11) ? digits.slice(trunk.length) : digits;
  }
  return WRITTEN.test(text) && cc && nsn.length > 3 && (cc + nsn).length < 16
    ? { cc, nsn }
    : void invalid(`"${text.slice(0, 40)}" is not a phone number` + (cc ? '' : ' (write it as +CC…, or pass a known country)'));
}

/**
 * The forms a number is written in, by its digits: 0 `+31 20 123 4567`; 1 `+31 (0)20 123 4567` (also the common
 * `+31 020 …`); 2 `0031 20 1234567`; 3 nationally, `020 123 4567` or `1-555-555-0123`; 4 North America without
 * the trunk, `(555) 555-0123`.
 */
export type Form = 0 | 1 | 2 | 3 | 4;

/** The digits of `phone` written in `form` (without the plus sign). */
export const digitsIn = ({ cc, nsn }: Phone, form: Form): string =>
  [cc + nsn, cc + (trunkOf(cc) == '0' ? '0' : '') + nsn, '00' + cc + nsn, trunkOf(cc) + nsn, nsn][form]!;

/** Every written form of a number as `[digits, form]`, digits prefixed with `+` for the plus forms. */
export const writtenForms = (phone: Phone): [string, Form][] =>
  ([0, 1, 2, 3, 4] as Form[])
    .filter((form) => form < 4 || phone.cc == '1')
    .map((form) => [(form < 2 ? '+' : '') + digitsIn(phone, form), form]);
