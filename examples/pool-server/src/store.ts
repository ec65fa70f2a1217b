// The pool's state behind one interface, so the in-memory store (default) and the Redis store (several processes
// sharing one pool) run the same conformance suite.

/** A visit's lease, as the server keeps it. */
export interface Session {
  id: string;
  site: string;
  visitor: string | null;
  /** The Source the SDK sent (channel, source, medium, campaign, term, clickIds, landingPage…). */
  source: Record<string, unknown> & { channel: string };
  /** Site number → tracking number held. */
  numbers: Record<string, string>;
  created: number;
  lastBeat: number;
  /** ms */
  ttl: number;
}

/** A number held by a session from `from` until `until` (ms; the last heartbeat plus the ttl). */
export interface Holding {
  session: string;
  from: number;
  until: number;
}

export interface Call {
  id: string;
  to: string;
  from?: string;
  at: string;
  site?: string;
  target?: string;
  session?: string;
  source?: Session['source'];
}

/** What a lease asks for one site number: the tracking numbers of the pool that serves this visit. */
export interface Pick {
  target: string;
  candidates: string[];
}

export interface Store {
  /**
   * Creates a session and gives it, atomically per target, the free candidate released longest ago. A number is
   * free when its last holding ended (`until`) at least `quarantine` ms ago. Targets with no free number are left
   * out and counted as exhausted.
   */
  lease(session: Session, picks: Pick[], quarantine: number): Promise<Session>;
  /** Renews a live session's holdings; `gone` when it expired, `unknown` when it never existed. */
  heartbeat(id: string, now: number): Promise<Session | 'gone' | 'unknown'>;
  getSession(id: string): Promise<Session | undefined>;
  /** The session that held `number` at `at` (ms), with the site number it stood for. */
  holderAt(number: string, at: number): Promise<{ session: Session; target: string } | undefined>;
  addCall(call: Call): Promise<void>;
  listCalls(limit: number): Promise<Call[]>;
  addMissing(site: string, page: string, targets: string[]): Promise<void>;
  /** A Core Web Vitals measurement from a page of the site (the last 1,000 per metric are kept). */
  addVital(site: string, name: string, value: number): Promise<void>;
  /** Sessions per channel, exhausted count, missing targets per page, and which numbers are held now. */
  stats(site: string, numbers: string[], now: number): Promise<{
    sessions: Record<string, number>;
    exhausted: number;
    missingTargets: Record<string, string[]>;
    held: string[];
    vitals: Record<string, { count: number; p75: number }>;
  }>;
  close(): Promise<void>;
}

/** Holdings kept per number for call attribution. */
export const HISTORY = 1000;

/** count and 75th percentile (what Core Web Vitals are judged by) of each metric's values. */
export const summarize = (values: Record<string, number[]>): Record<string, { count: number; p75: number }> =>
  Object.fromEntries(
    Object.entries(values).map(([name, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return [name, { count: sorted.length, p75: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.75))] ?? 0 }];
    }),
  );

/** The default store: everything in this process's memory. Leasing is atomic because Node runs one task at a time. */
export function createMemoryStore(): Store {
  const sessions = new Map<string, Session>();
  const holdings = new Map<string, Holding[]>();
  const calls: Call[] = [];
  const channels = new Map<string, Record<string, number>>();
  const exhausted = new Map<string, number>();
  const missing = new Map<string, Record<string, Set<string>>>();
  const vitals = new Map<string, Record<string, number[]>>();
  const last = (number: string): Holding | undefined => holdings.get(number)?.at(-1);

  return {
    async lease(session, picks, quarantine) {
      const now = session.created;
      for (const { target, candidates } of picks) {
        const free = candidates
          .filter((n) => (last(n)?.until ?? -Infinity) + quarantine <= now)
          .sort((a, b) => (last(a)?.until ?? -Infinity) - (last(b)?.until ?? -Infinity));
        const number = free[0];
        if (!number) {
          exhausted.set(session.site, (exhausted.get(session.site) || 0) + 1);
          continue;
        }
        const history = holdings.get(number) || [];
        history.push({ session: session.id, from: now, until: now + session.ttl });
        holdings.set(number, history.slice(-HISTORY));
        session.numbers[target] = number;
      }
      sessions.set(session.id, session);
      const counts = channels.get(session.site) || {};
      counts[session.source.channel] = (counts[session.source.channel] || 0) + 1;
      channels.set(session.site, counts);
      return session;
    },
    async heartbeat(id, now) {
      const session = sessions.get(id);
      if (!session) return 'unknown';
      if (session.lastBeat + session.ttl <= now) return 'gone';
      session.lastBeat = now;
      for (const number of Object.values(session.numbers)) {
        const holding = last(number);
        if (holding?.session == id) holding.until = now + session.ttl;
      }
      return session;
    },
    async getSession(id) {
      return sessions.get(id);
    },
    async holderAt(number, at) {
      const holding = holdings.get(number)?.findLast((h) => h.from <= at && at <= h.until);
      const session = holding && sessions.get(holding.session);
      const target = session && Object.keys(session.numbers).find((t) => session.numbers[t] == number);
      return session && target ? { session, target } : undefined;
    },
    async addCall(call) {
      calls.unshift(call);
      calls.length = Math.min(calls.length, 10_000);
    },
    async listCalls(limit) {
      return calls.slice(0, limit);
    },
    async addMissing(site, page, targets) {
      const pages = missing.get(site) || {};
      const set = (pages[page] ||= new Set());
      targets.forEach((t) => set.add(t));
      missing.set(site, pages);
    },
    async addVital(site, name, value) {
      const metrics = vitals.get(site) || {};
      metrics[name] = [...(metrics[name] || []), value].slice(-HISTORY);
      vitals.set(site, metrics);
    },
    async stats(site, numbers, now) {
      const pages = missing.get(site) || {};
      return {
        vitals: summarize(vitals.get(site) || {}),
        sessions: { ...channels.get(site) },
        exhausted: exhausted.get(site) || 0,
        missingTargets: Object.fromEntries(Object.entries(pages).map(([page, set]) => [page, [...set]])),
        held: numbers.filter((n) => (last(n)?.until ?? 0) > now),
      };
    },
    async close() {},
  };
}
