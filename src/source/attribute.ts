import type { Source } from './types.js';

/** A visit's attribution as kept across page views (times in ms since the epoch). */
export interface Visit {
  source: Source;
  /** When this attribution was won (its last non-direct arrival). */
  at: number;
  /** When the current session started. */
  start: number;
  /** Last activity. */
  last: number;
}

export interface AttributionOptions {
  /** Minutes without activity that end a session. Default 30. */
  sessionTimeout?: number;
  /** Days a non-direct source stays attributed to later direct visits. Default 30. */
  attributionDays?: number;
}

export const SESSION_TIMEOUT = 30;
export const ATTRIBUTION_DAYS = 30;

/** A source's identity: everything but where the visitor landed and came from. */
const identity = (source: Source): string => JSON.stringify({ ...source, referrer: 0, landingPage: 0 });

/**
 * Last non-direct click attribution. Given this page view's source and the stored visit (if any), returns the visit
 * to keep and whether it starts a new session: a new non-direct source replaces the stored one and starts a session;
 * a direct (or same-site) page view keeps the stored source while it is inside the attribution window; a session
 * also ends after `sessionTimeout` minutes without activity. Pure: the caller stores the result (or not).
 */
export function attribute(
  current: Source,
  stored: Visit | undefined,
  now: number,
  { sessionTimeout = SESSION_TIMEOUT, attributionDays = ATTRIBUTION_DAYS }: AttributionOptions = {},
): { visit: Visit; newSession: boolean } {
  const active = !!stored && now >= stored.start && now - stored.last < sessionTimeout * 6e4;
  const direct = current.channel == 'direct';
  const keep = !!stored && (direct ? now - stored.at < attributionDays * 864e5 && now >= stored.at : identity(stored.source) == identity(current));
  const source = keep ? stored.source : current;
  const continued = keep && active;
  return {
    visit: {
      source,
      at: keep && direct ? stored.at : now,
      start: continued ? stored.start : now,
      last: now,
    },
    newSession: !continued,
  };
}
