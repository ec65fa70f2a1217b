// The pool's state behind one interface, with two implementations: memory (one process) and Redis (several
// processes sharing one pool). The operations that must not interleave — taking a free number, renewing and releasing
// a lease — are single operations here; the pool logic around them (src/pool.ts) is plain code over this interface.

/** The Source the SDK sent, as the pool keeps it (see openapi.json `Source`). */
export interface Source {
  channel: string;
  source: string;
  medium: string;
  campaign?: string;
  term?: string;
  content?: string;
  clickIds: Record<string, string>;
  referrer: string;
  landingPage: string;
  pool?: string;
}

const FIELDS = ['channel', 'source', 'medium', 'campaign', 'term', 'content', 'referrer', 'landingPage', 'pool'] as const;
const text = (value: unknown, max: number): string | undefined => (typeof value == 'string' ? value.slice(0, max) : undefined);

/**
 * A Source with its known fields only, each a string of bounded length, and at most 9 click ids: what the schema
 * lets in. Applied when a session is stored and when it is read back, so nothing stored by an older server (a
 * field nested thousands deep) can reach the code that attributes a call.
 */
export function cleanSource(raw: unknown): Source {
  const given = (raw && typeof raw == 'object' ? raw : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = text(given[field], field == 'referrer' || field == 'landingPage' ? 2048 : 256);
    if (value !== undefined) out[field] = value;
  }
  const ids = given.clickIds && typeof given.clickIds == 'object' ? (given.clickIds as Record<string, unknown>) : {};
  out.clickIds = Object.fromEntries(
    Object.keys(ids)
      .filter((name) => /^[A-Za-z0-9_]{1,32}$/.test(name) && typeof ids[name] == 'string')
      .slice(0, 9)
      .map((name) => [name, text(ids[name], 256)]),
  );
  return { channel: '', source: '', medium: '', referrer: '', landingPage: '', ...out } as Source;
}

/** A consent signal, as Google Consent Mode writes it. */
export type Signal = 'granted' | 'denied';
/** Google Consent Mode's four signals, as the page last said them (a signal never said is absent). */
export interface Consent {
  ad_storage?: Signal;
  analytics_storage?: Signal;
  ad_user_data?: Signal;
  ad_personalization?: Signal;
}
export const SIGNALS = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const;
/** A Consent with the four names and two values only. */
export const cleanConsent = (raw: unknown): Consent => {
  const given = (raw && typeof raw == 'object' ? raw : {}) as Record<string, unknown>;
  return Object.fromEntries(SIGNALS.filter((name) => given[name] == 'granted' || given[name] == 'denied').map((name) => [name, given[name]]));
};

/** Google Analytics' ids of the visit, read from its cookies (with analytics_storage granted). */
export interface Analytics {
  clientId: string;
  sessionId?: string;
}

/** What a visit said and did besides its source: consent, analytics ids, the numbers it tapped. */
export interface Visit {
  consent?: Consent;
  ga?: Analytics;
  /** Numbers tapped (tel:/sms:), each counted once. */
  taps?: string[];
}

/** A visit's lease. */
export interface Session extends Visit {
  id: string;
  site: string;
  /** The visitor id the SDK sent; null without one (Global Privacy Control) or after consent was withdrawn. */
  visitor: string | null;
  source: Source;
  /** Site number → tracking number held. */
  numbers: Record<string, string>;
  /** Tracking number → the key of the pool it came from. */
  pools: Record<string, string>;
  /** ms since the epoch. */
  created: number;
  /** When its numbers free unless a heartbeat renews them (ms): `claim` after the lease, `ttl` after a heartbeat. */
  until: number;
  /** A keyed hash of the client's address (for the per-IP lease limit); never the address itself. */
  ip: string;
}

/** Where a GA4 event for a call is: waiting (retried with backoff), on its way, delivered, or given up after 72 h. */
export interface Delivery {
  state: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  /** ISO time of the last change. */
  at: string;
  error?: string;
}

export interface Call {
  id: string;
  to: string;
  from?: string;
  at: string;
  site?: string;
  target?: string;
  session?: string;
  source?: Source;
  /** Seconds, once the telephony provider reported it. */
  duration?: number;
  status?: string;
  /** The provider's id of the call (Twilio's CallSid). */
  ref?: string;
  /** The last status callback's sequence number: an older one never overrides it. */
  seq?: number;
  /**
   * How the dialled business line answered (Twilio's <Dial action>: DialCallStatus, DialCallDuration seconds, and
   * AnsweredBy where answering machine detection is on: `human`, `machine_start`, `machine_end_beep`, …).
   */
  dial?: { status: string; duration?: number; answeredBy?: string };
  /** Where the caller's number is from, as the telephony provider tells it (Twilio's FromCity, FromState, FromCountry). */
  location?: { city?: string; state?: string; country?: string };
  /**
   * The caller's number as a keyed hash (HMAC with the store's salt): the same caller gives the same hash, which
   * tells nobody the number.
   */
  caller?: string;
  /** The same number called this site before, within the retention window (false: a first-time caller). */
  repeat?: boolean;
  /** For other telephony (POST /v1/calls): the business line answered. */
  answered?: boolean;
  /** The visit's consent and analytics ids when the call came, kept up to date with the visit's. */
  consent?: Consent;
  ga?: Analytics;
  /** The GA4 event for this call. */
  ga4?: Delivery;
}

/** What a new lease asks for: the session without its numbers, and per site number the pool to take one from. */
export interface LeaseInput {
  session: Pick<Session, 'id' | 'site' | 'visitor' | 'source' | 'ip' | 'consent' | 'ga'>;
  picks: { target: string; pool: string }[];
  /** ms a new lease holds its numbers before its first heartbeat. */
  claim: number;
  /** ms a number rests after it was released. */
  quarantine: number;
  /** Live leases per IP and site at most. */
  maxPerIp: number;
  /** ms a session is kept after it ended. */
  keep: number;
}

/**
 * A lease taken (targets whose pool had no free number are in `exhausted`), refused for the per-IP limit, or not
 * taken because the store lost its pools (a Redis that restarted without its data): the store is putting them back.
 */
export type LeaseOutcome = { session: Session; exhausted: string[] } | { limited: number } | { lost: true };

/**
 * A renewal or release: `sites` are the sites the request may touch (its Origin's); a session of another site is
 * `forbidden` and left as it is.
 */
export interface Touch {
  ttl: number;
  keep: number;
  sites?: string[];
}

/** A live session renewed or released (its site, and until when its numbers are held now), or why not. */
export type Touched = { site: string; until: number } | 'gone' | 'unknown' | 'forbidden';

/**
 * Applies `patchVisit`'s change to a visit or one of its calls, in place (the one rule every store follows): consent
 * merged, GA's ids set or removed, and on `forget` the click ids, landing page, referrer and GA's ids gone and every
 * signal denied.
 */
export function changeVisit<T extends { consent?: Consent; ga?: Analytics; source?: Source }>(target: T, { consent, ga, forget }: { consent?: Consent; ga?: Analytics | null; forget?: boolean }): T {
  if (consent) target.consent = { ...target.consent, ...consent };
  if (ga) target.ga = ga;
  if (ga === null || forget) delete target.ga;
  if (forget && target.source) target.source = { ...target.source, clickIds: {}, landingPage: '', referrer: '' };
  // Withdrawn is denied: no file nor GA4 sends anything of this visit any more (not even the caller's hashed number).
  if (forget) target.consent = { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' };
  return target;
}

export interface Store {
  /** Registers the pools and their numbers (idempotent; numbers no longer configured are dropped). */
  syncPools(pools: Map<string, string[]>): Promise<void>;
  /**
   * Creates a session and gives it, per pick and atomically, the free number released longest ago. A number is free
   * when its last holding ended at least `quarantine` ms ago. O(log n) in the pool's size.
   */
  lease(input: LeaseInput): Promise<LeaseOutcome>;
  /** Renews a live session's numbers for `ttl` ms from now (the store's clock). */
  heartbeat(id: string, touch: Touch): Promise<Touched>;
  /** Ends a live session at once: its numbers rest for the quarantine, its visitor id and click ids are forgotten. */
  release(id: string, touch: Omit<Touch, 'ttl'>): Promise<Touched>;
  getSession(id: string): Promise<Session | undefined>;
  /** The session whose holding of `number` began last at or before `at`, if it held it until `at - grace` or later. */
  holderAt(number: string, at: number, grace: number): Promise<Session | undefined>;
  /** Numbers held now, per pool key; with `rest` (ms), also those released less than that ago (not free yet). */
  held(pools: string[], rest?: number): Promise<Record<string, number>>;
  addCall(call: Call): Promise<void>;
  /** Merges `patch` into the call with this provider reference; undefined when there is none. */
  updateCall(ref: string, patch: Partial<Call>): Promise<Call | undefined>;
  /** The same, by the call's own id. */
  patchCall(id: string, patch: Partial<Call>): Promise<Call | undefined>;
  getCall(id: string): Promise<Call | undefined>;
  /**
   * Changes a visit and every call attributed to it: `consent` is merged into theirs; `ga` sets GA's ids (null
   * removes them); `forget` removes the click ids, landing page, referrer and GA's ids (consent withdrawn).
   * Undefined when the session is unknown.
   */
  patchVisit(session: string, change: { consent?: Consent; ga?: Analytics | null; forget?: boolean }): Promise<Session | undefined>;
  /** Records a tap on `number` in the session: true the first time, false after (or for no session). */
  tap(session: string, number: string): Promise<boolean>;
  /** Puts a call's GA4 event on the schedule at `due` (ms), replacing an earlier time. */
  schedule(id: string, due: number): Promise<void>;
  /** Takes the calls whose GA4 event is due by `now`, at most `limit`: each is taken by one process only. */
  due(now: number, limit: number): Promise<string[]>;
  findCall(ref: string): Promise<Call | undefined>;
  /** Calls, newest first: of one site, at or after `since` (ms). */
  listCalls(query: { site?: string; since?: number; limit: number }): Promise<Call[]>;
  /**
   * Every call of a site at or after `since` (ms), oldest first, in batches of at most `batch`: an export reads
   * them this way, never all at once.
   */
  eachCall(query: { site: string; since: number }, batch?: number): AsyncIterable<Call[]>;
  /** Adds to counters of a site, in total and in the hour of `at` (ms). */
  count(site: string, fields: Record<string, number>, at: number): Promise<void>;
  /**
   * Remembers a visitor's attributed source under the id of the pool's first-party cookie, until `until` (ms): the
   * visit is attributed again when the page's own storage is gone (Safari deletes what scripts store after 7 days).
   */
  remember(site: string, id: string, source: Source, until: number): Promise<void>;
  /** The source remembered under a cookie id, if it has not expired. */
  recall(site: string, id: string): Promise<Source | undefined>;
  /**
   * Notes that `caller` (a keyed hash of the caller's number, never the number) called the site at `at`, and keeps
   * it until `until` (ms). True when it had called the site before and was still kept: a repeat caller.
   */
  caller(site: string, caller: string, at: number, until: number): Promise<boolean>;
  /** Forgets a cookie id's source (consent withdrawn). */
  forget(site: string, id: string): Promise<void>;
  /** Counter totals of a site, or their sum over the hours from `since` (ms). */
  counters(site: string, since?: number): Promise<Record<string, number>>;
  /** Counters per hour from `since`: hour (ms) → field → value. */
  series(site: string, since: number): Promise<Record<number, Record<string, number>>>;
  /** Records the peak of numbers held in a pool within the hour of `at`. */
  peak(site: string, pool: string, held: number, at: number): Promise<void>;
  addMissing(site: string, page: string, targets: string[]): Promise<void>;
  /** Page → site number → times reported missing there. */
  missing(site: string): Promise<Record<string, Record<string, number>>>;
  /** A Core Web Vitals measurement from a page of the site (the last HISTORY per metric are kept). */
  addVital(site: string, name: string, value: number): Promise<void>;
  vitals(site: string): Promise<Record<string, number[]>>;
  /** True for the first caller of this minute only (across processes): one sample of the pools per minute. */
  claimMinute(minute: number): Promise<boolean>;
  /** Drops what retention no longer allows: ended sessions past `keep`, calls and counters older than `retention`. */
  sweep(retention: number): Promise<void>;
  /** A random key, made once per store, for hashing client addresses. */
  salt(): Promise<string>;
  /** The store's clock (ms): Redis's TIME, so processes agree. */
  now(): Promise<number>;
  /** Resolves when the store answers and holds its pools; rejects when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Calls an export reads at a time (eachCall). */
export const CALL_BATCH = 1000;

/** Holdings kept per number for call attribution, and values kept per Core Web Vitals metric. */
export const HISTORY = 1000;
/** Distinct pages kept per site for missing targets: pages are named by visitors' requests. */
export const MAX_PAGES = 1000;
/** Calls kept at most, whatever the retention. */
export const MAX_CALLS = 100_000;
export const HOUR = 3_600_000;
/** The start of the hour `at` falls in (ms): the counters' buckets. */
export const hourOf = (at: number): number => Math.floor(at / HOUR) * HOUR;

