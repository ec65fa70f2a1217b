// Offline conversion files for the ad platforms: an answered call attributed to a visit becomes a row the platform
// imports as a conversion of that visit's click, as EEA advertisers must send them (consent per row). Plain
// functions: the route (src/routes/conversions.ts) reads the calls, these write the file.
import { createHash } from 'node:crypto';
import { CONVERSION, type SiteConfig } from './config.js';
import { E164 } from './routes/openapi.js';
import type { Call } from './store/store.js';

export type Provider = 'google_ads' | 'microsoft_ads';

export interface ConversionOptions {
  provider: Provider;
  /** The conversion action's name in the ad platform. */
  name: string;
  value: number;
  currency: string;
  /** Answered calls shorter than this (seconds) are no conversion. */
  minDuration: number;
  /** `+hhmm` or an IANA time zone name: the zone the times are written in. */
  timeZone: string;
  /** Google: also clicks from iOS (gbraid, wbraid), in their own columns. Off unless asked for (`?braids=1`). */
  braids?: boolean;
  /** The site's visitors are in the EEA: a row needs ad_user_data granted (else: a row unless it was denied). */
  eea: boolean;
  /** Enhanced conversions for leads: the caller's number, hashed, in its own column (with ad_user_data granted). */
  hashedPhone: boolean;
}

/** A click id as the platforms issue them (base64url-ish); anything else (a formula, a comma) is no click id. */
const CLICK_ID = /^\w[\w-]{0,299}$/;

/** The shortest answered call of a site that counts (seconds). */
export const minDurationOf = (site: SiteConfig | undefined): number => site?.conversion?.minDuration ?? CONVERSION.minDuration;

/** The zone a site's files, periods and times are in: its `timeZone`, else UTC. */
export const zoneOf = (site: SiteConfig): string => site.timeZone ?? '+0000';

/** A machine (voicemail, fax) answered for the business line, where the provider detects it (Twilio's AnsweredBy). */
const machine = (call: Call): boolean => /^(machine|fax)/.test(call.dial?.answeredBy ?? '');

/**
 * What became of a call at the business line: `answered` by a person, `voicemail` where the provider says a machine
 * answered (Twilio's AnsweredBy, with answering machine detection on), `missed` (the dialled line was busy, did not
 * answer or failed, the caller hung up first, or other telephony says `answered: false`), `ringing` while the call
 * goes on, and `unknown` for a call that ended without saying (no <Dial action> result came, or other telephony did
 * not say `answered`). Only `answered` calls become conversions.
 */
export const outcome = (call: Call): 'answered' | 'voicemail' | 'missed' | 'ringing' | 'unknown' =>
  machine(call)
    ? 'voicemail'
    : answered(call) != null
      ? 'answered'
      : call.dial || call.answered === false || /^(busy|no-answer|failed|canceled)$/.test(call.status ?? '')
        ? 'missed'
        : call.status == 'completed' || (call.answered == null && call.duration != null && !call.ref)
          ? 'unknown'
          : 'ringing';

/**
 * How long the business line talked to the caller (seconds), when it answered: Twilio's <Dial action> says whether
 * (DialCallStatus completed) and how long; other telephony says `answered` with the call's duration. Undefined for
 * a call that was not answered (a voicemail neither), or is still ringing.
 */
export const answered = (call: Call): number | undefined =>
  machine(call) ? undefined : call.dial ? (/^(completed|answered)$/.test(call.dial.status) ? (call.dial.duration ?? call.duration ?? 0) : undefined) : call.answered ? (call.duration ?? 0) : undefined;

/** A CSV field: quoted when it holds a comma, quote or line break; a leading =, +, - or @ cannot start a formula. */
export const field = (value: string | number): string => {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value == 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

const pad = (n: number) => String(n).padStart(2, '0');

/** One formatter per zone, made once: a file of 100,000 rows must not make 100,000 of them. */
const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall time of a moment in a zone, as the parts' numbers. */
const wall = (at: number, timeZone: string): number[] => {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (formats.size < 100) formats.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  return [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map(Number);
};

/** The offset of a zone at a moment (minutes east of UTC): a fixed `+hhmm`, or an IANA zone's at that instant. */
export const offsetAt = (at: number, timeZone: string): number => {
  const fixed = /^([+-])(\d\d)(\d\d)$/.exec(timeZone);
  if (fixed) return (fixed[1] == '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
  const [y, mo, d, h, mi, s] = wall(at, timeZone);
  return Math.round((Date.UTC(y!, mo! - 1, d, h, mi, s) - Math.floor(at / 1000) * 1000) / 60_000);
};

/** `yyyy-MM-dd HH:mm:ss` of a moment, in a fixed offset (`+0130`) or an IANA zone. */
export const formatTime = (at: number, timeZone: string): string => {
  const d = new Date(at + offsetAt(at, timeZone) * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

/**
 * `yyyy-MM-dd HH:mm:ss+hh:mm`: the wall time in the zone with that moment's own offset, so that the repeated hour
 * of a clock change keeps two calls an hour apart, and no row can land before its click.
 */
export const formatTimeWithOffset = (at: number, timeZone: string): string => {
  const offset = offsetAt(at, timeZone);
  return `${formatTime(at, timeZone)}${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
};

/** A zone as Microsoft's file takes it, `+hhmm` only: a site's named zone is written in UTC there. */
const microsoftZone = (timeZone: string): string => (/^[+-]\d{4}$/.test(timeZone) ? timeZone : '+0000');

/** Google's normalisation of a phone number for hashing: E.164, then SHA-256, lowercase hex. */
export const hashPhone = (number: string): string => createHash('sha256').update(number).digest('hex');

const CONSENT = { granted: 'Granted', denied: 'Denied' } as const;

/**
 * The import file of one provider, as a header and a function from a call to its row (undefined for a call that is
 * no conversion), so a file of any length is written one batch of calls at a time. Lines end in CRLF.
 *
 * A row is an answered call (the business line picked up: Twilio's <Dial action> result) of at least `minDuration`
 * seconds, attributed to a visit, with the visit's click id, and consented: in the EEA (Google's EU user consent
 * policy, and a missing signal counts as not consented) only with ad_user_data granted; elsewhere unless it was
 * denied. A call still ringing, missed, or busy is never a row: the platforms cannot take an import back.
 *
 * Google Ads, "Import conversions from ad clicks into Google Ads" (https://support.google.com/google-ads/answer/7014069):
 * a fixed header, so a scheduled upload that works keeps working: `Google Click ID`, `Conversion Name`,
 * `Conversion Time`, `Conversion Value`, `Conversion Currency`, then the consent of the row, `Ad User Data` and
 * `Ad Personalization` (`Granted` / `Denied`), and with enhanced conversions for leads `Phone Number` (SHA-256 of the
 * caller's E.164 number; then a call without a click id is a row too). Each time carries its own offset
 * (`2026-10-25 01:29:35+01:00`), right on both sides of a clock change. Clicks from iOS 14+ carry a `gbraid` or
 * `wbraid` instead of a gclid: their rows, under Google's `GBRAID` and `WBRAID` columns, only when asked for, as
 * their file import is not assured (the Google Ads API or Data Manager takes them).
 *
 * Microsoft Advertising's offline conversion import (https://learn.microsoft.com/en-us/advertising/bulk-service/offline-conversion):
 * `Parameters:TimeZone=` takes an offset only (`+0100`), so a site whose zone is a name gets its file in UTC
 * (`+0000`); `Microsoft Click ID` (the msclkid), the same conversion columns, and `Hashed Phone Number`.
 */
export function conversionWriter(options: ConversionOptions): { header: string; row(call: Call): string | undefined } {
  const google = options.provider == 'google_ads';
  const braids = google && !!options.braids;
  const ids = google ? (braids ? ['gclid', 'gbraid', 'wbraid'] : ['gclid']) : ['msclkid'];
  const zone = google ? options.timeZone : microsoftZone(options.timeZone);
  const columns = [
    ...(google ? (braids ? ['Google Click ID', 'GBRAID', 'WBRAID'] : ['Google Click ID']) : ['Microsoft Click ID']),
    'Conversion Name',
    'Conversion Time',
    'Conversion Value',
    'Conversion Currency',
    ...(google ? ['Ad User Data', 'Ad Personalization'] : []),
    ...(options.hashedPhone ? [google ? 'Phone Number' : 'Hashed Phone Number'] : []),
  ];
  const name = field(options.name);
  const worth = `${field(options.value)},${field(options.currency)}`;
  return {
    header: `${google ? '' : `Parameters:TimeZone=${zone}\r\n`}${columns.join(',')}\r\n`,
    row(call) {
      if (!call.session || (answered(call) ?? -1) < options.minDuration) return;
      const userData = call.consent?.ad_user_data;
      if (options.eea ? userData != 'granted' : userData == 'denied') return;
      const clickIds = call.source?.clickIds ?? {};
      const id = ids.find((key) => CLICK_ID.test(clickIds[key] ?? ''));
      const phone = options.hashedPhone && userData == 'granted' && call.from && E164.test(call.from) ? hashPhone(call.from) : '';
      if (!id && !phone) return;
      const at = Date.parse(call.at);
      const cells = [
        ids.map((key) => (key == id ? clickIds[key]! : '')).join(','),
        name,
        google ? formatTimeWithOffset(at, zone) : formatTime(at, zone),
        worth,
        ...(google ? [CONSENT[userData!] ?? '', (call.consent?.ad_personalization ? CONSENT[call.consent.ad_personalization] : '')] : []),
        ...(options.hashedPhone ? [phone] : []),
      ];
      return `${cells.join(',')}\r\n`;
    },
  };
}

/**
 * A site's export options for a provider, from its config: what the conversion files and the dashboard's delivery
 * column use (a request may override the name, minDuration and braids).
 */
export const exportOptions = (site: SiteConfig, provider: Provider): ConversionOptions => ({
  ...CONVERSION,
  ...site.conversion,
  provider,
  name: site.conversion?.name ?? 'Call',
  minDuration: minDurationOf(site),
  timeZone: zoneOf(site),
  eea: site.eea ?? true,
  hashedPhone: site.conversion?.hashedPhone ?? false,
});

/**
 * A CSV file streamed from calls read in batches (oldest first, as eachCall gives them): the header, then a chunk of
 * rows per batch (`row` undefined: no row), so a file of any length keeps memory flat and lets other requests in
 * between batches. Reading stops at the first call after `until` (ms).
 */
export async function* csvLines(header: string, calls: AsyncIterable<Call[]>, row: (call: Call) => string | undefined, until = Infinity): AsyncGenerator<string> {
  yield header;
  for await (const batch of calls) {
    let chunk = '';
    for (const call of batch) {
      if (Date.parse(call.at) > until) {
        if (chunk) yield chunk;
        return;
      }
      chunk += row(call) ?? '';
    }
    if (chunk) yield chunk;
  }
}

/** The whole import file for these calls, oldest first (tests and small exports; the route streams). */
export function conversionFile(calls: Call[], options: ConversionOptions): string {
  const writer = conversionWriter(options);
  let file = writer.header;
  for (const call of [...calls].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) file += writer.row(call) ?? '';
  return file;
}
