// Offline conversion files for the ad platforms: a call attributed to a visit with a click id becomes a row the
// platform imports as a conversion of that click. Plain functions: the route (src/routes/conversions.ts) reads the
// calls, these write the file.
import type { Call } from './store/store.js';

export type Provider = 'google_ads' | 'microsoft_ads';

export interface ConversionOptions {
  provider: Provider;
  /** The conversion action's name in the ad platform. */
  name: string;
  value: number;
  currency: string;
  /** Calls shorter than this (seconds) are no conversion; a call without a duration yet counts as 0. */
  minDuration: number;
  /** `+hhmm` or an IANA time zone name: the file's `Parameters:TimeZone` and the zone its times are written in. */
  timeZone: string;
  /** Google: also clicks from iOS (gbraid, wbraid), in their own columns. Off unless asked for (`?braids=1`). */
  braids?: boolean;
}

/** A click id as the platforms issue them (base64url-ish); anything else (a formula, a comma) is no click id. */
const CLICK_ID = /^\w[\w-]{0,299}$/;

/** A CSV field: quoted when it holds a comma, quote or line break; a leading =, +, - or @ cannot start a formula. */
const field = (value: string | number): string => {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value == 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

const pad = (n: number) => String(n).padStart(2, '0');

/** One formatter per zone, made once: a file of 100,000 rows must not make 100,000 of them. */
const formats = new Map<string, Intl.DateTimeFormat>();

/** `yyyy-MM-dd HH:mm:ss` of a moment, in a fixed offset (`+0130`) or an IANA zone. */
export const formatTime = (at: number, timeZone: string): string => {
  const offset = /^([+-])(\d\d)(\d\d)$/.exec(timeZone);
  if (offset) {
    const d = new Date(at + (offset[1] == '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (formats.size < 100) formats.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
};

/**
 * The import file of one provider, as a header and a function from a call to its row (undefined for a call that is
 * no conversion), so a file of any length is written one batch of calls at a time. Lines end in CRLF.
 *
 * Google Ads, "Import conversions from ad clicks into Google Ads" (https://support.google.com/google-ads/answer/7014069),
 * template "Conversions from clicks": a first line `Parameters:TimeZone=…`, then the header
 * `Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency`, times as
 * `yyyy-MM-dd HH:mm:ss` in that zone. The header is fixed, so a scheduled upload that works keeps working: clicks
 * from iOS 14+ carry no gclid but a `gbraid` (app) or `wbraid` (web), and those rows (under Google's `GBRAID` and
 * `WBRAID` columns, one click id per row) come only when asked for, since their file import is not assured.
 *
 * Microsoft Advertising's offline conversion import takes the same layout with `Microsoft Click ID` (the msclkid) as
 * the click id column; the fields are those of its Offline Conversion record
 * (https://learn.microsoft.com/en-us/advertising/bulk-service/offline-conversion: Microsoft Click Id, Conversion
 * Name, Conversion Time, Conversion Value, Conversion Currency Code), named as its upload template names them.
 */
export function conversionWriter(options: ConversionOptions): { header: string; row(call: Call): string | undefined } {
  const google = options.provider == 'google_ads';
  const braids = google && !!options.braids;
  const ids = google ? (braids ? ['gclid', 'gbraid', 'wbraid'] : ['gclid']) : ['msclkid'];
  const columns = google ? (braids ? ['Google Click ID', 'GBRAID', 'WBRAID'] : ['Google Click ID']) : ['Microsoft Click ID'];
  const tail = `,${field(options.name)},`;
  const after = `,${field(options.value)},${field(options.currency)}\r\n`;
  return {
    header: `Parameters:TimeZone=${options.timeZone}\r\n${[...columns, 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'].join(',')}\r\n`,
    row(call) {
      if (!call.session || (call.duration ?? 0) < options.minDuration) return;
      const clickIds = call.source?.clickIds ?? {};
      const id = ids.find((name) => CLICK_ID.test(clickIds[name] ?? ''));
      if (!id) return;
      return ids.map((name) => (name == id ? clickIds[name]! : '')).join(',') + tail + formatTime(Date.parse(call.at), options.timeZone) + after;
    },
  };
}

/** The whole import file for these calls, oldest first (tests and small exports; the route streams). */
export function conversionFile(calls: Call[], options: ConversionOptions): string {
  const writer = conversionWriter(options);
  let file = writer.header;
  for (const call of [...calls].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) file += writer.row(call) ?? '';
  return file;
}
