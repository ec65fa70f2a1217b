import { later } from '../lib/later.js';
import type { Source } from '../source/types.js';
import { readHeartbeat, readLease, type Lease, type LeaseRequest, type PoolEvent } from './protocol.js';
import { pausedUntil, request, send as post, type FailureCode } from './request.js';

export interface LeaseEvents {
  lease: { session: string; numbers: Record<string, string>; ttl: number };
  expire: { session: string };
  error: { code: FailureCode; message: string };
}

export interface LeaseOptions {
  /** The pool endpoint, e.g. `https://pool.example.com/v1`. */
  endpoint: string;
  site: string;
  /** The site's numbers, E.164. */
  targets: string[];
  source: Source;
  /** When the visitor's session started (ms since the epoch): a lease taken before it is not reused. */
  visit: number;
  /** A random first-party id, or null when none may be kept. */
  visitor: string | null;
  /** Milliseconds before a lease request gives up. Default 3000. */
  timeout?: number;
  /** What else the lease request says, read when it is sent: the page's consent signals, GA's ids. */
  more?: () => Pick<LeaseRequest, 'consent' | 'ga'>;
  /** Called when the numbers to show change; `{}` when the lease is gone. */
  onNumbers: (numbers: Record<string, string>) => void;
  onEvent: <K extends keyof LeaseEvents>(event: K, detail: LeaseEvents[K]) => void;
}

/** A running lease: one per visitor session, kept by one tab's heartbeats for every tab. */
export interface LeaseClient {
  /** Site number → tracking number now leased (`{}` when none). */
  readonly numbers: Record<string, string>;
  readonly session: string | undefined;
  /** When the lease expires unless a heartbeat renews it (ms since the epoch). */
  readonly expires: number | undefined;
  /** Sends a page event about the current lease (fetch keepalive, text/plain JSON, no cookies). */
  send(type: PoolEvent['type'], more?: Omit<PoolEvent, 'type' | 'page'>): void;
  /**
   * Stops heartbeats, releases locks and channels, removes listeners. The lease stays stored for other tabs, and
   * at the pool: a visitor who leaves may still call. With `release` (consent withdrawn) it is released at the pool
   * too (`DELETE`), and so is a lease that arrives after.
   */
  stop(release?: boolean): void;
}

/** What localStorage keeps: the lease, its endpoint, when it was taken and when it expires (ms). */
interface Stored extends Lease {
  endpoint: string;
  at: number;
  expires: number;
}

/** Milliseconds before a lease request gives up, unless the config says otherwise. */
export const TIMEOUT = 3000;
export const LEASE_KEY = '_callswap_lease';
export const FAILED_KEY = '_callswap_failed';
/** While the pool fails, one lease attempt per visitor per this many ms at most. */
const FAILED_PAUSE = 30_000;
/** Requests per page view at most, retries included. */
const ATTEMPTS = 3;
/** Longest Retry-After we wait for within a page view (ms); longer ones end the attempt. */
const LONGEST_WAIT = 10_000;
/** Longest pause between heartbeats while the pool fails (ms), unless it asked for a longer one. */
const LONGEST_BACKOFF = 600_000;
/**
 * How long a tab that just leased keeps the lock. Chromium hands a localStorage write to the other tabs' processes
 * asynchronously: the next tab in line could still read no lease and lease again (seen in CI with three tabs opened
 * at once). The other tabs hear the lease on the channel meanwhile, so none of them waits for its number.
 */
const HANDOFF = 250;

const RETRY: FailureCode[] = ['timeout', 'network', 'unavailable', 'rate_limited'];

/**
 * localStorage, or nothing: blocked storage, a throwing getter or a full quota all leave the client working
 * without it (one request per page view, no sharing between tabs).
 */
const storage = (method: 'getItem' | 'setItem' | 'removeItem', key: string, value?: string): string | null | undefined => {
  try {
    return localStorage[method](key, value!) as string | null | undefined;
  } catch {
    return;
  }
};

/**
 * Leases tracking numbers for the visit, or reuses the stored lease of this visitor session synchronously (its
 * numbers are known before this returns). One tab, elected with Web Locks, sends heartbeats while any tab is
 * visible; BroadcastChannel (storage events without it) shares changes. Every failure is an `error` event and
 * leaves `numbers` empty: the page keeps its own numbers. Never throws.
 */
export function createLeaseClient(options: LeaseOptions): LeaseClient {
  const { endpoint, site, targets, timeout = TIMEOUT, onNumbers, onEvent, more = () => undefined } = options;
  const key = `${LEASE_KEY}:${site}`;
  const failedKey = `${FAILED_KEY}:${site}`;
  const locks = navigator.locks;
  let lease: Stored | undefined;
  let stopped = false;
  let released = false;
  let failures = 0;
  let leader = false;
  let viewed = false;
  let lastBeat = 0;
  let othersVisible = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pinger: ReturnType<typeof setInterval> | undefined;
  let channel: BroadcastChannel | undefined;
  let release: (() => void) | undefined;
  let queue: AbortController | undefined;

  const url = (path: string): string => `${endpoint}/sessions${path}`;
  const page = (): string => location.pathname.slice(0, 2048);
  // The code is the contract (README, "Events"); the message only repeats it for a console.
  const error = (code: FailureCode, path = ''): void => onEvent('error', { code, message: `callswap: ${code.replace('_', ' ')}: ${url(path)}` });

  /**
   * A lease this page may show: same endpoint, unexpired, and taken during this visitor session or a newer one.
   * Tabs opened at once may each start the session; whichever leases first, all show its number.
   */
  const accept = (stored: Stored | null | undefined): Stored | undefined =>
    stored && stored.endpoint == endpoint && stored.at >= options.visit && stored.expires > Date.now() && readLease(stored, targets) ? stored : undefined;

  const parse = (text: string | null | undefined): Stored | undefined => {
    try {
      return (JSON.parse(text || 'null') as Stored | null) ?? undefined;
    } catch {
      return;
    }
  };

  const read = (): Stored | undefined => accept(parse(storage('getItem', key)));

  /** Takes a lease (or none) as the current one; `share` also stores it and tells the other tabs. */
  const adopt = (next: Stored | undefined, share?: boolean): void => {
    // Stopped (consent withdrawn, or destroyed): an answer that arrives now changes nothing, stores nothing.
    if (stopped) return;
    const before = JSON.stringify(lease?.numbers || {});
    const previous = lease;
    lease = next;
    if (share) {
      // Storage full or blocked: this tab still has the lease.
      if (next) storage('setItem', key, JSON.stringify(next));
      else storage('removeItem', key);
      channel?.postMessage(next ? { lease: next } : { expire: previous?.session });
    }
    if (!next && previous) onEvent('expire', { session: previous.session });
    if (JSON.stringify(next?.numbers || {}) != before) onNumbers({ ...next?.numbers });
    if (next && !viewed) {
      viewed = true;
      send('pageview', more());
    }
    if (next && leader) schedule(next.heartbeat * 1000);
  };

  const send = (type: PoolEvent['type'], more?: Omit<PoolEvent, 'type' | 'page'>): void => {
    if (lease) post(url(`/${lease.session}/events`), { type, page: page(), ...more });
  };

  const withLock = (name: string, fn: () => Promise<void>): Promise<void> =>
    (locks ? (locks.request(`callswap:${site}:${name}`, fn) as Promise<unknown>) : fn()).then(() => undefined, () => undefined);

  /** Leases, unless another tab just did: one tab at a time asks, the next re-reads what the first stored. */
  const obtain = (): Promise<void> =>
    withLock('lease', async () => {
      // A lease heard on the channel while this tab waited for the lock counts as stored.
      const stored = lease || read();
      if (stored || stopped) return adopt(stored);
      // "<until>" or "<until> <code>": a setup mistake (forbidden, unknown_site) is named again, not as a backoff.
      const [until, cause] = (storage('getItem', failedKey) || '').split(' ');
      if (Date.now() < (Number(until) || 0)) return error((cause as FailureCode) || 'backoff');
      let code: FailureCode = 'invalid_response';
      let pause = FAILED_PAUSE;
      for (let attempt = 0; attempt < ATTEMPTS && !stopped; attempt++) {
        const { visitor, source } = options;
        const answer = await request(url(''), timeout, { site, visitor, targets, source, page: page(), ...more() });
        const got = answer.ok && readLease(answer.body, targets);
        // Stopped while this lease was on its way: not shown, and given back at once if consent was withdrawn.
        if (stopped) return released && got ? post(url(`/${got.session}`), undefined, 'DELETE') : undefined;
        if (got) {
          storage('removeItem', failedKey);
          adopt({ ...got, endpoint, at: Date.now(), expires: Date.now() + got.ttl * 1000 }, true);
          lastBeat = Date.now();
          onEvent('lease', { session: got.session, numbers: { ...got.numbers }, ttl: got.ttl });
          return new Promise((resolve) => setTimeout(resolve, HANDOFF));
        }
        code = answer.ok ? 'invalid_response' : answer.code;
        const wait = !answer.ok && answer.retryAfter != null ? answer.retryAfter * 1000 : 500 * 2 ** attempt * (0.5 + Math.random() / 2);
        pause = Math.max(FAILED_PAUSE, wait);
        if (!RETRY.includes(code) || wait > LONGEST_WAIT || attempt == ATTEMPTS - 1) break;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      // Without storage the three-request limit per page view still holds.
      storage('setItem', failedKey, Date.now() + pause + (code == 'forbidden' || code == 'unknown_site' ? ' ' + code : ''));
      error(code);
    });

  /**
   * The one way from a lease that is gone (the pool forgot it, its ttl passed, or it ended while the page was in the
   * back/forward cache) to a new one: off the page, then leased again. `share`: tell the other tabs (they may still
   * show it); a page back from the cache only catches up with what they already know.
   */
  const renew = (share?: boolean): void => {
    adopt(undefined, share);
    void obtain();
  };

  const schedule = (delay: number): void => {
    clearTimeout(timer);
    if (!stopped && leader) timer = setTimeout(beat, delay);
  };

  /** The leader's heartbeat: only while some tab is visible; a gone lease is taken off the page at once. */
  const beat = async (): Promise<void> => {
    const current = lease || read();
    if (!leader || stopped || !current) return;
    // A ping-driven beat may have just gone out: one stream, not two.
    const since = Date.now() - lastBeat;
    if (since < current.heartbeat * 500) return schedule(current.heartbeat * 1000 - since);
    const visible = document.visibilityState == 'visible';
    if ((visible || Date.now() - othersVisible < current.heartbeat * 2000) && Date.now() >= pausedUntil(endpoint)) {
      lastBeat = Date.now();
      const answer = await request(url(`/${current.session}/heartbeat`), timeout, { page: page(), visible });
      const beaten = answer.ok && readHeartbeat(answer.body, targets);
      if (stopped || (lease && lease.session != current.session)) return;
      if (beaten) {
        failures = 0;
        adopt({ ...current, numbers: beaten.numbers || current.numbers, ttl: beaten.ttl, expires: Date.now() + beaten.ttl * 1000 }, true);
      } else if (!answer.ok && answer.code == 'gone') {
        return renew(true);
      } else {
        failures++;
        error(answer.ok ? 'invalid_response' : answer.code, `/${current.session}/heartbeat`);
      }
    }
    // The server let it go after its ttl: lease again.
    if (current.expires < Date.now()) return renew(true);
    // The pool's Retry-After when it sent one; else twice the interval per failure in a row (5xx, network), capped.
    schedule(Math.max(pausedUntil(endpoint) - Date.now(), Math.min(LONGEST_BACKOFF, current.heartbeat * 1000 * 2 ** failures)));
  };

  /**
   * Beat now when the last beat is older than half an interval: a tab became visible, the page resumed, or a
   * visible tab pinged. Called straight from those events, not through a timer: Chrome throttles the timers of a
   * page hidden for a while to about one a minute, and the leader may be such a page while another tab is seen.
   */
  const beatSoon = (): void => {
    if (leader && lease && Date.now() - lastBeat > lease.heartbeat * 500) void beat();
  };

  /** Another tab stored a lease, or dropped one: a lease we may not show, or another's expiry, leaves ours be. */
  const heard = (next: Stored | undefined, gone: string | undefined): void => {
    if (accept(next)) adopt(next);
    else if (gone && gone == lease?.session) adopt(undefined);
  };

  const onMessage = ({ data }: MessageEvent<{ lease?: Stored; expire?: string; visible?: boolean } | null>): void => {
    if (data?.lease || data?.expire) heard(data.lease, data.expire);
    else if (data?.visible) {
      othersVisible = Date.now();
      beatSoon();
    }
  };

  /** Browsers without BroadcastChannel learn of other tabs' changes from storage events. */
  const onStorage = ({ key: changed, newValue, oldValue }: StorageEvent): void => {
    if (changed == key) heard(parse(newValue), newValue ? undefined : parse(oldValue)?.session);
  };

  const onVisibility = (): void => {
    if (document.visibilityState != 'visible') return;
    channel?.postMessage({ visible: true });
    beatSoon();
  };

  /** Takes part: a channel to the other tabs and a place in line for leadership. */
  const join = (): void => {
    if (typeof BroadcastChannel == 'function') {
      channel = new BroadcastChannel(`callswap:${site}`);
      channel.onmessage = onMessage;
    }
    // Visible tabs tell the leader they are there, so it keeps beating while it is hidden itself.
    pinger = setInterval(() => document.visibilityState == 'visible' && channel?.postMessage({ visible: true }), 30_000);
    const lead = (): Promise<void> => {
      leader = true;
      beatSoon();
      if (lease) schedule(Math.max(0, lease.heartbeat * 1000 - (Date.now() - lastBeat)));
      return new Promise<void>((resolve) => (release = resolve));
    };
    // A queued request is aborted when the page leaves, so a page in the back/forward cache never becomes leader.
    queue = new AbortController();
    if (locks) locks.request(`callswap:${site}`, { signal: queue.signal }, lead).catch(() => undefined).finally(() => (leader = false));
    else void lead();
  };

  /** Leaves for the back/forward cache (or for good): no lock, no channel, no timer stays behind. */
  const leave = (): void => {
    clearTimeout(timer);
    clearInterval(pinger);
    release?.();
    release = undefined;
    queue?.abort();
    leader = false;
    channel?.close();
    channel = undefined;
  };

  const onPageHide = (): void => {
    send('pagehide');
    leave();
  };

  const onPageShow = (event: PageTransitionEvent): void => {
    if (!event.persisted || stopped) return;
    join();
    const stored = read();
    if (stored) adopt(stored);
    else if (lease) renew();
  };

  const stored = (lease = read());
  // A heartbeat renews `expires`, so the stored lease tells when any tab last beat.
  if (stored) lastBeat = stored.expires - stored.ttl * 1000;
  viewed = !!stored;
  addEventListener('pagehide', onPageHide);
  addEventListener('pageshow', onPageShow);
  if (typeof BroadcastChannel != 'function') addEventListener('storage', onStorage);
  document.addEventListener('visibilitychange', onVisibility);
  document.addEventListener('resume', beatSoon);
  // The other tabs, the place in line and the first request a task later: on a first page view, where nothing is
  // compiled yet and storage is read for the first time, the script's start stays one short task.
  later(() => stopped || (join(), stored ? send('pageview', more()) : void obtain()));

  return {
    get numbers() {
      return { ...lease?.numbers };
    },
    get session() {
      return lease?.session;
    },
    get expires() {
      return lease?.expires;
    },
    send,
    stop(release) {
      if (release && lease && !stopped) post(url(`/${lease.session}`), undefined, 'DELETE');
      released ||= !!release;
      stopped = true;
      leave();
      removeEventListener('pagehide', onPageHide);
      removeEventListener('pageshow', onPageShow);
      removeEventListener('storage', onStorage);
      document.removeEventListener('visibilitychange', onVisibility);
      document.removeEventListener('resume', beatSoon);
    },
  };
}
