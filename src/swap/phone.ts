import { invalid } from '../lib/invalid.js';

// E.164 country calling codes are prefix-free, so splitting `+CC NSN` needs only the one- and two-digit codes;
// every other code has three digits. Source: ITU-T, "List of ITU-T Recommendation E.164 assigned country codes"
// (Complement to E.164, Annex to ITU Operational Bulletin No. 1199, 2020-07-01, with later amendments).
const TWO_DIGIT = '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98';

// National (trunk) prefixes that are not "0". Countries with none keep every digit of the national significant
// number when dialling nationally (Italy: 06 1234 5678 = +39 06 1234 5678). Source: ITU-T E.164 national numbering
// plans as notified to the ITU (ITU Operational Bulletin, "National numbering plans").
const NO_TRUNK = ' 30 34 39 45 47 48 298 299 350 351 352 354 356 357 371 372 376 377 378 420 852 853 965 968 974 ';
const TRUNK: Record<string, string> = { 1: '1', 7: '8', 36: '06', 375: '8' };

// ISO 3166-1 alpha-2 → calling code, for keys written nationally (`"020 123 4567"` with `country: "NL"`).
const COUNTRIES =
  'US1CA1GB44IE353NL31BE32LU352FR33DE49AT43CH41LI423IT39SM378VA39MC377ES34AD376PT351DK45SE46NO47FI358IS354EE372' +
  'LV371LT370PL48CZ420SK421HU36SI386HR385RO40BG359GR30CY357MT356RS381BA387ME382MK389AL355TR90UA380RU7IL972AE971' +
  'SA966QA974ZA27NG234KE254EG20MA212IN91PK92CN86HK852SG65MY60TH66PH63ID62JP81KR82TW886AU61NZ64MX52BR55AR54CL56' +
  'CO57PE51';

/** A phone number split into country calling code and national significant number. */
export interface Phone {
  cc: string;
  nsn: string;
}

/** Characters a written phone number may contain besides digits. */
export const SEPARATORS = '\\s.\\/()\\-\\u2010-\\u2015\\u2212';
const WRITTEN = new RegExp(`^\\+?[\\d${SEPARATORS}]+$`);

/** E.164 allows 15 digits; anything near 20 is not a phone number. */
const MAX_DIGITS = 15;

export const trunkOf = (cc: string): string => TRUNK[cc] ?? (NO_TRUNK.includes(` ${cc} `) ? '' : '0');

/** Splits international digits (after `+` or `00`) into code and NSN. */
export const splitCode = (digits: string): Phone => {
  const n = digits[0] == '1' || digits[0] == '7' ? 1 : TWO_DIGIT.includes(digits.slice(0, 2)) ? 2 : 3;
  return { cc: digits.slice(0, n), nsn: digits.slice(n) };
};

/**
 * Parses a number as a webmaster writes it: `+31 20 123 4567`, `+31 (0)20 123 4567`, `0031 20 1234567`,
 * `+15555550123`, or nationally with `country` (`020 123 4567` + `"NL"`). Returns undefined (after reporting a
 * config error) for anything that is not a phone number.
 */
export function parsePhone(written: unknown, country?: string): Phone | undefined {
  const text = typeof written == 'string' ? written.trim() : '';
  const digits = text.replace(/\D/g, '');
  if (!WRITTEN.test(text) || digits.length < 5 || digits.length > MAX_DIGITS + 2) {
    return void invalid(`"${String(written).slice(0, 40)}" is not a phone number`);
  }
  let phone: Phone;
  if (text[0] == '+' || digits.startsWith('00')) {
    phone = splitCode(text[0] == '+' ? digits : digits.slice(2));
    // "+31 (0)20 …": the (0) is the national trunk prefix, not part of the number.
    if (/\(0\)/.test(text) && phone.nsn[0] == '0' && trunkOf(phone.cc) == '0') phone.nsn = phone.nsn.slice(1);
  } else {
    const cc = country && new RegExp(`${country.toUpperCase()}(\\d+)`).exec(COUNTRIES)?.[1];
    if (!cc || !/^[a-z]{2}$/i.test(country!)) {
      return void invalid(
        country
          ? `country "${country}" is not known; write "${text}" in international format (+CC…)`
          : `"${text}" is in national format: pass the country option (e.g. "NL") or write it as +CC…`,
      );
    }
    const trunk = trunkOf(cc);
    // The North American trunk 1 is optional: 555-555-0123 and 1-555-555-0123 are the same number.
    phone = { cc, nsn: digits.startsWith(trunk) && (cc != '1' || digits.length == 11) ? digits.slice(trunk.length) : digits };
  }
  if (phone.nsn.length < 4 || phone.cc.length + phone.nsn.length > MAX_DIGITS) {
    return void invalid(`"${text}" is not a valid phone number`);
  }
  return phone;
}

/**
 * The ways a number is written, by what its digits look like: `+31 20 123 4567` (PLUS); `+31 (0)20 123 4567`, also
 * the common mistake `+31 020 …` (PLUS_TRUNK); `0031 20 1234567` (IDD); `020 123 4567` or `1-555-555-0123`
 * (NATIONAL); North America without the trunk 1, `(555) 555-0123` (BARE).
 */
export type Form = number;
export const PLUS = 0;
export const PLUS_TRUNK = 1;
export const IDD = 2;
export const NATIONAL = 3;
export const BARE = 4;

/** The digit strings a number can be written as, keyed `+digits` for forms written with a plus sign. */
export const writtenForms = ({ cc, nsn }: Phone): [string, Form][] => {
  const trunk = trunkOf(cc);
  const forms: [string, Form][] = [
    ['+' + cc + nsn, PLUS],
    ['00' + cc + nsn, IDD],
    [trunk + nsn, NATIONAL],
  ];
  if (trunk == '0') forms.push(['+' + cc + '0' + nsn, PLUS_TRUNK]);
  if (cc == '1') forms.push([nsn, BARE]);
  return forms;
};

/** The digits of `phone` written in `form`; falls back to the plus form when the form needs the same country. */
export const digitsIn = ({ cc, nsn }: Phone, form: Form, sameCountry: boolean): string => {
  if (!sameCountry && form >= NATIONAL) form = PLUS;
  const trunk = trunkOf(cc);
  return form == IDD
    ? '00' + cc + nsn
    : form == PLUS
      ? cc + nsn
      : form == PLUS_TRUNK
        ? cc + (trunk == '0' ? '0' : '') + nsn
        : form == NATIONAL
          ? trunk + nsn
          : nsn;
};

export const e164 = ({ cc, nsn }: Phone): string => '+' + cc + nsn;
