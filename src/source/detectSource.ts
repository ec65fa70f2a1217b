import { getChannel } from './getChannel.js';
import { bareHost, classifyHost } from './hosts.js';
import { compileRules } from './rules.js';
import type { DetectInput, Source } from './types.js';

/** Click ids in order of precedence, each with the source and medium it implies. */
const CLICK_IDS = 'gclid:google:cpc gbraid:google:cpc wbraid:google:cpc dclid:dfa:cpm msclkid:bing:cpc ttclid:tiktok:cpc li_fat_id:linkedin:cpc twclid:twitter:cpc fbclid:facebook:referral'
  .split(' ')
  .map((entry) => entry.split(':') as [id: string, source: string, medium: string]);
// Meta adds fbclid to every outbound link, paid or not: hence referral.

/** Longest URL we parse; anything longer counts as absent (no real landing page or referrer comes near). */
const MAX_URL = 8192;
/** Parameter values are trimmed and cut to this length. */
const MAX_VALUE = 256;

const parseUrl = (url: unknown, schemes: RegExp): URL | undefined => {
  // An empty referrer (a direct visit) is common: no URL to try (a failed parse costs a thrown error).
  if (!url || typeof url != 'string' || url.length > MAX_URL) return;
  try {
    const parsed = new URL(url);
    if (schemes.test(parsed.protocol) && parsed.hostname) return parsed;
  } catch {
    // Not a URL: counts as absent.
  }
  return undefined;
};

/**
 * Works out where a visit came from: UTM parameters first, then click ids, then the referrer, else direct; and its
 * GA4-style channel and the first custom rule that matched. Pure: reads no DOM and no storage. Malformed input
 * never throws and counts as absent; an invalid rule throws a TypeError naming it (script-tag build: warns, skips).
 */
export function detectSource({ url, referrer, rules }: DetectInput): Source {
  const tests = compileRules(rules);
  const page = parseUrl(url, /^https?:$/);
  const from = parseUrl(referrer, /^(https?|android-app):$/);
  const params = page ? page.searchParams : new URLSearchParams();
  const get = (name: string): string | undefined => params.get(name)?.trim().slice(0, MAX_VALUE) || undefined;
  const referrerHost = from ? bareHost(from.hostname) : '';
  const external = referrerHost && referrerHost != (page ? bareHost(page.hostname) : '');
  const clickIds: Record<string, string> = {};
  let implied: string[] | undefined;
  for (const [id, ...implies] of CLICK_IDS) {
    const value = get(id);
    if (value) {
      clickIds[id] = value;
      implied ||= implies;
    }
  }
  const utmSource = get('utm_source');
  const utmMedium = get('utm_medium');
  const [source, medium] =
    utmSource || utmMedium
      ? [utmSource?.toLowerCase() || '(not set)', utmMedium?.toLowerCase() || '(not set)']
      : implied || (external ? classifyHost(referrerHost) : ['(direct)', '(none)']);
  const result: Source = {
    channel: 'direct',
    source: source!,
    medium: medium!,
    clickIds,
    referrer: external ? (referrer as string) : '',
    landingPage: page ? (url) : '',
  };
  if (utmSource || utmMedium) {
    for (const field of ['campaign', 'term', 'content'] as const) {
      const value = get('utm_' + field);
      if (value) result[field] = value;
    }
  }
  result.channel = getChannel(result.source, result.medium, result.campaign);
  // Object.assign, not a spread: V8 spreads an object into a slow one (µs, not ns).
  const context = Object.assign({}, result, { params, path: page ? page.pathname : '', referrer: external ? referrerHost : '' });
  for (const [test, pool] of tests) {
    if (test(context)) {
      result.pool = pool;
      break;
    }
  }
  return result;
}
