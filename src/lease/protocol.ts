// The pool protocol's messages, as the SDK sends and checks them. server/openapi.json is the
// contract; these types mirror it and the tests check both against it.
import type { Source } from '../source/types.js';

/** POST {endpoint}/sessions */
export interface LeaseRequest {
  site: string;
  /** A random first-party id; null when no persistent id may be kept (Global Privacy Control). */
  visitor: string | null;
  /** The site's numbers, E.164. */
  targets: string[];
  source: Source;
  /** The page path. */
  page: string;
  /** The page's consent signals as far as it knows them. */
  consent?: Consent;
  /** Google Analytics' ids of the visitor: only with analytics_storage granted. */
  ga?: Analytics;
}

/** Google Consent Mode's four signals; a signal the page has not decided is absent. */
export interface Consent {
  ad_storage?: 'granted' | 'denied';
  analytics_storage?: 'granted' | 'denied';
  ad_user_data?: 'granted' | 'denied';
  ad_personalization?: 'granted' | 'denied';
}

/** Google Analytics' client id (from `_ga`) and session id (from `_ga_<container>`). */
export interface Analytics {
  clientId: string;
  sessionId?: string;
}

/** 201 from POST {endpoint}/sessions: site number → tracking number, and timings in seconds. */
export interface Lease {
  session: string;
  numbers: Record<string, string>;
  ttl: number;
  heartbeat: number;
}

/** 200 from POST {endpoint}/sessions/{session}/heartbeat */
export interface Heartbeat {
  ttl: number;
  numbers?: Record<string, string>;
}

/** POST {endpoint}/sessions/{session}/events, by fetch keepalive as text/plain JSON. */
export interface PoolEvent {
  type: 'pageview' | 'pagehide' | 'missing_target' | 'vitals' | 'click' | 'consent';
  page: string;
  /** missing_target: the site numbers not found on the page. */
  targets?: string[];
  /** click: the site number of the link clicked. */
  target?: string;
  /** consent: the signals that changed. */
  consent?: Consent;
  /** consent, click: Google Analytics' ids, when they were not known at the lease (analytics_storage granted). */
  ga?: Analytics;
}

/** The server chooses ttl and heartbeat; the client keeps them within these bounds (seconds). */
export const TTL_BOUNDS = [60, 86_400] as const;
export const HEARTBEAT_BOUNDS = [10, 600] as const;

// The protocol's patterns, written as openapi.json writes them (test/vocabulary.test.ts holds them to it).
export const E164 = /^\+[1-9][0-9]{6,14}$/;
export const SESSION = /^[A-Za-z0-9_-]{8,128}$/;
export const SITE = /^[A-Za-z0-9_.-]{1,100}$/;

const clamp = (value: number, [min, max]: readonly [number, number]): number => Math.min(max, Math.max(min, value));

/** Tracking numbers for the asked targets only, each E.164; undefined for anything else. */
const readNumbers = (numbers: unknown, targets: string[]): Record<string, string> | undefined => {
  if (!numbers || typeof numbers != 'object' || Array.isArray(numbers)) return;
  const entries = Object.entries(numbers);
  return entries.every(([target, number]) => targets.includes(target) && typeof number == 'string' && E164.test(number))
    ? Object.fromEntries(entries)
    : undefined;
};

/**
 * A lease answer checked against what was asked: a session id, E.164 numbers for asked targets only, and
 * numeric timings (clamped, heartbeat at most half the ttl). Undefined when anything is off: a failure.
 */
export function readLease(body: unknown, targets: string[]): Lease | undefined {
  const lease = body as Lease;
  const numbers = lease && readNumbers(lease.numbers, targets);
  if (!numbers || typeof lease.session != 'string' || !SESSION.test(lease.session) || !(lease.ttl > 0) || !(lease.heartbeat > 0)) return;
  const ttl = clamp(lease.ttl, TTL_BOUNDS);
  return { session: lease.session, numbers, ttl, heartbeat: Math.min(clamp(lease.heartbeat, HEARTBEAT_BOUNDS), ttl / 2) };
}

/** A heartbeat answer checked the same way; undefined when anything is off. */
export function readHeartbeat(body: unknown, targets: string[]): Heartbeat | undefined {
  const beat = body as Heartbeat;
  const numbers = beat?.numbers === undefined ? undefined : readNumbers(beat.numbers, targets);
  if (!(beat?.ttl > 0) || (beat.numbers !== undefined && !numbers)) return;
  return numbers ? { ttl: clamp(beat.ttl, TTL_BOUNDS), numbers } : { ttl: clamp(beat.ttl, TTL_BOUNDS) };
}
