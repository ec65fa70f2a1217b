import { attribute, type AttributionOptions, type Visit } from '../source/attribute.js';
import type { Source } from '../source/types.js';
import { readCookie, removeCookie, writeCookie } from './cookie.js';

/** The first-party cookie that keeps the visit's attribution (see the data inventory in README.md). */
export const VISIT_COOKIE = '_callswap';

/** Longest landing page or referrer we keep in the cookie, so it stays far below the 4 KB cookie limit. */
const MAX_STORED_URL = 512;

const isVisit = (v: unknown): v is Visit => {
  const visit = v as Visit;
  return (
    !!visit &&
    typeof visit.at == 'number' &&
    typeof visit.start == 'number' &&
    typeof visit.last == 'number' &&
    !!visit.source &&
    typeof visit.source.channel == 'string' &&
    typeof visit.source.source == 'string' &&
    typeof visit.source.medium == 'string' &&
    typeof visit.source.clickIds == 'object'
  );
};

export interface TrackOptions extends AttributionOptions {
  /** Whether we may store anything. Without it each page view stands alone and nothing is written. */
  store: boolean;
  cookieDomain?: string;
}

/**
 * Applies last-non-direct-click attribution to this page view's source using the stored visit, and stores the
 * result (only when `store` is true). Returns the visit and whether it started a new session.
 */
export function trackVisit(current: Source, now: number, options: TrackOptions): { visit: Visit; newSession: boolean } {
  const stored = options.store ? readCookie<unknown>(VISIT_COOKIE) : undefined;
  const result = attribute(current, isVisit(stored) ? stored : undefined, now, options);
  if (options.store) {
    const { source } = result.visit;
    const kept = {
      ...result.visit,
      source: {
        ...source,
        landingPage: source.landingPage.slice(0, MAX_STORED_URL),
        referrer: source.referrer.slice(0, MAX_STORED_URL),
      },
    };
    writeCookie(VISIT_COOKIE, kept, { domain: options.cookieDomain, days: options.attributionDays ?? 30 });
  }
  return result;
}

/** Deletes the stored visit (consent withdrawn), on whichever domain of `hostname` it was set. */
export const forgetVisit = (hostname: string): void => removeCookie(VISIT_COOKIE, hostname);
