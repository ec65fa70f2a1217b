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

/** `yyyy-MM-dd HH:mm:ss` of a moment, in a fixed offset (`+0130`) or an IANA zone. */
export const formatTime = (at: number, timeZone: string): string => {
  const offset = /^([+-])(\d\d)(\d\d)$/.exec(timeZone);
  if (offset) {
    const d = new Date(at + (offset[1] == '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
};

/**
 * The import file of one provider for these calls, newest last.
 *
 * Google Ads, "Import conversions from ad clicks into Google Ads" (https://support.google.com/google-ads/answer/7014069),
 * template "Conversions from clicks": a first line `Parameters:TimeZone=…`, then the header
 * `Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency`, times as
 * `yyyy-MM-dd HH:mm:ss` in that zone. Clicks from iOS 14+ carry no gclid but a `gbraid` (app) or `wbraid` (web):
 * such rows go in the same file under the `GBRAID` and `WBRAID` columns, added after `Google Click ID` only when a
 * row needs them (one click id per row).
 *
 * Microsoft Advertising's offline conversion import takes the same layout with `Microsoft Click ID` (the msclkid) as
 * the click id column; the fields are those of its Offline Conversion record
 * (https://learn.microsoft.com/en-us/advertising/bulk-service/offline-conversion: Microsoft Click Id, Conversion
 * Name, Conversion Time, Conversion Value, Conversion Currency Code), named as its upload template names them.
 */
export function conversionFile(calls: Call[], options: ConversionOptions): string {
  const google = options.provider == 'google_ads';
  const ids: string[] = google ? ['gclid', 'gbraid', 'wbraid'] : ['msclkid'];
  const rows: (string | number)[][] = [];
  for (const call of [...calls].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const clickIds = call.source?.clickIds ?? {};
    const id = ids.find((name) => CLICK_ID.test(clickIds[name] ?? ''));
    if (!call.session || !id || (call.duration ?? 0) < options.minDuration) continue;
    rows.push([...ids.map((name) => (name == id ? clickIds[name]! : '')), options.name, formatTime(Date.parse(call.at), options.timeZone), options.value, options.currency]);
  }
  // The GBRAID and WBRAID columns only when a row has one of them: a gclid-only file is Google's plain template.
  const braids = google && rows.some((row) => row[1] || row[2]);
  const keep = (row: (string | number)[]) => (google && !braids ? [row[0]!, ...row.slice(3)] : row);
  const header = google ? ['Google Click ID', 'GBRAID', 'WBRAID'] : ['Microsoft Click ID'];
  return [
    `Parameters:TimeZone=${options.timeZone}`,
    keep([...header, 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency']).join(','),
    ...rows.map((row) => keep(row).map(field).join(',')),
  ].join('\r\n') + '\r\n';
}
