// The default store: one SQLite database file in the data directory (DATA_DIR/callswap.db), for one server
// process. Nothing is lost on a restart: calls, sessions, counters, live leases and numbers at rest are on disk.
//
// Writes are committed in groups: the operations of one turn of the event loop share a transaction that commits
// before the next turn (setImmediate), and no operation's promise resolves before its transaction is committed, so
// nothing the server answered can be lost when the process dies (kill -9): a number it handed out is on disk before
// the visitor hears of it. Each operation runs to its end before another starts (Node runs one task at a time and
// nothing here awaits), so taking a number is atomic without locks, as in memory; an operation that fails rolls back
// its whole group (every operation of it fails). Counter increments are summed in memory and written with the group
// of their turn, without waiting for its commit: a lease adds to the same few counters as the leases around it.
//
// libsql (Turso's SQLite) is the binding: its prebuilt binaries come from the npm registry as optional
// dependencies, so it installs without a compiler and without an install script (npm 11 blocks those by default).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import type LibsqlDatabase from 'libsql';
import { capped, peakOf } from './counters.js';
import { CALL_BATCH, changeVisit, HISTORY, HOUR, hourOf, MAX_PAGES, type Call, type Session, type Store, type Touched, type Visit } from './store.js';

type Database = LibsqlDatabase.Database;
const require = createRequire(import.meta.url);
const Database = require('libsql') as typeof LibsqlDatabase;

/** The checkpointing thread: a PASSIVE checkpoint (never waits for the writer) every `every` ms. */
const CHECKPOINTER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.libsql);
const db = new Database(workerData.file, { timeout: 1000 });
setInterval(() => {
  try {
    db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get([]);
  } catch {
    // Busy: the next one.
  }
}, workerData.every);
`;

/** The database file in the data directory. */
export const DB_FILE = 'callswap.db';

/**
 * The schema, one migration per version: the file's `user_version` says how many have run. A migration is never
 * changed once released; a new one is appended. Counters of a site's totals are the rows of hour -1.
 */
export const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE numbers (number TEXT PRIMARY KEY, pool TEXT NOT NULL, until INTEGER NOT NULL, seq INTEGER NOT NULL);
   CREATE INDEX numbers_free ON numbers (pool, until, seq);
   CREATE TABLE sessions (id TEXT PRIMARY KEY, site TEXT NOT NULL, visitor TEXT, source TEXT NOT NULL, numbers TEXT NOT NULL,
     pools TEXT NOT NULL, created INTEGER NOT NULL, until INTEGER NOT NULL, ip TEXT NOT NULL, expires INTEGER NOT NULL);
   CREATE INDEX sessions_ip ON sessions (site, ip, until);
   CREATE INDEX sessions_expires ON sessions (expires);
   CREATE TABLE holdings (number TEXT NOT NULL, start INTEGER NOT NULL, session TEXT NOT NULL, PRIMARY KEY (number, start, session)) WITHOUT ROWID;
   CREATE INDEX holdings_session ON holdings (session);
   CREATE TABLE calls (id TEXT PRIMARY KEY, at INTEGER NOT NULL, site TEXT, ref TEXT UNIQUE, data TEXT NOT NULL);
   CREATE INDEX calls_at ON calls (at);
   CREATE INDEX calls_site ON calls (site, at);
   CREATE TABLE counters (site TEXT NOT NULL, hour INTEGER NOT NULL, field TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (site, hour, field)) WITHOUT ROWID;
   CREATE TABLE missing (site TEXT NOT NULL, page TEXT NOT NULL, target TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (site, page, target)) WITHOUT ROWID;
   CREATE TABLE vitals (id INTEGER PRIMARY KEY, site TEXT NOT NULL, name TEXT NOT NULL, value REAL NOT NULL);
   CREATE INDEX vitals_metric ON vitals (site, name, id);`,
  // 2: visitors' sources under the pool's first-party cookie.
  `CREATE TABLE visitors (site TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (site, id)) WITHOUT ROWID;
   CREATE INDEX visitors_until ON visitors (until);`,
  // 3: a visit's consent, analytics ids and taps; calls found by their session (consent changes and withdrawals
  // reach them); the schedule of GA4 events.
  `ALTER TABLE sessions ADD COLUMN visit TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE calls ADD COLUMN session TEXT;
   UPDATE calls SET session = json_extract(data, '$.session');
   CREATE INDEX calls_session ON calls (session);
   CREATE TABLE outbox (id TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX outbox_due ON outbox (due);`,
  // 4: callers (keyed hashes of their numbers) and until when each is kept: first-time or repeat callers.
  `CREATE TABLE callers (site TEXT NOT NULL, caller TEXT NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (site, caller)) WITHOUT ROWID;
   CREATE INDEX callers_until ON callers (until);`,
];

/** The counters' row of a site's totals. */
const TOTAL = -1;
/** How often (ms) the write-ahead log is synced into the database file: a power cut loses at most this much. */
const CHECKPOINT_EVERY = 1000;

/**
 * Opens (creating or migrating) the database of a data directory. Throws one clear line for a file of a newer
 * version than this server knows, or one it cannot open.
 */
export function openDatabase(dir: string, { readonly = false } = {}): Database {
  const file = join(dir, DB_FILE);
  if (readonly && !existsSync(file)) throw new Error(`${file} does not exist: is DATA_DIR the server's?`);
  if (!readonly) mkdirSync(dir, { recursive: true });
  let db: Database | undefined;
  let version: number;
  try {
    db = new Database(file, { readonly, timeout: 5000 });
    // Not pragma(…, { simple: true }): libsql answers that with an object.
    version = (db.prepare('PRAGMA user_version').get([]) as { user_version: number }).user_version;
  } catch (e) {
    // A file that opened but is no database is closed here, not left to the binding's finalizer at some later GC.
    try {
      db?.close();
    } catch {
      // Nothing more to release.
    }
    throw new Error(`${file} cannot be opened (${(e as Error).message})`, { cause: e });
  }
  if (version > MIGRATIONS.length) {
    db.close();
    throw new Error(`${file} is of schema version ${version}, newer than this server's (${MIGRATIONS.length}): run the callswap-server that wrote it, or restore a backup`);
  }
  if (readonly) return db;
  db.pragma('journal_mode = WAL');
  // Durable at each checkpoint (every CHECKPOINT_EVERY ms), and always against a crash of the process itself.
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

/** Writes a consistent copy of a data directory's database to `target` (also while the server writes to it). */
export function backupSqlite(dir: string, target: string): { calls: number } {
  const db = openDatabase(dir, { readonly: true });
  const temporary = `${target}.partial-${process.pid}`;
  try {
    rmSync(temporary, { force: true });
    // One read transaction: the copy is the database as of one moment, whatever the server writes meanwhile.
    db.prepare('VACUUM INTO ?').run([temporary]);
  } finally {
    db.close();
  }
  renameSync(temporary, target);
  const copy = new Database(target, { readonly: true });
  try {
    return { calls: (copy.prepare('SELECT count(*) AS n FROM calls').get([]) as { n: number }).n };
  } finally {
    copy.close();
  }
}

/** The SQLite store of a data directory. `now` is the clock (tests move it). */
export function openSqliteStore(dir: string, { now = Date.now }: { now?: () => number } = {}): Store {
  const db = openDatabase(dir);
  const q = <R = unknown>(sql: string) => {
    const statement = db.prepare(sql);
    // Parameters go as one array: libsql reads a lone argument as named parameters (and fails on a lone null).
    return {
      run: (...args: unknown[]) => statement.run(args),
      get: (...args: unknown[]) => statement.get(args) as R | undefined,
      all: (...args: unknown[]) => statement.all(args) as R[],
    };
  };
  const sql = {
    getMeta: q<{ value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: q('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    poolNumbers: q<{ number: string }>('SELECT number FROM numbers WHERE pool = ?'),
    pools: q<{ pool: string }>('SELECT DISTINCT pool FROM numbers'),
    addNumber: q('INSERT INTO numbers (number, pool, until, seq) VALUES (?, ?, 0, ?) ON CONFLICT (number) DO UPDATE SET pool = excluded.pool'),
    dropNumber: q('DELETE FROM numbers WHERE number = ?'),
    dropPool: q('DELETE FROM numbers WHERE pool = ?'),
    free: q<{ number: string; until: number }>('SELECT number, until FROM numbers WHERE pool = ? ORDER BY until, seq LIMIT 1'),
    hold: q('UPDATE numbers SET until = ?, seq = ? WHERE number = ? AND pool = ?'),
    live: q<{ n: number; first: number | null }>('SELECT count(*) AS n, min(until) AS first FROM sessions WHERE site = ? AND ip = ? AND until > ?'),
    addSession: q('INSERT INTO sessions (id, site, visitor, source, numbers, pools, created, until, ip, expires, visit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    setVisit: q('UPDATE sessions SET visit = ?, source = ? WHERE id = ?'),
    sessionCalls: q<{ id: string; data: string }>('SELECT id, data FROM calls WHERE session = ?'),
    callById: q<{ data: string }>('SELECT data FROM calls WHERE id = ?'),
    schedule: q('INSERT INTO outbox (id, due) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET due = excluded.due'),
    due: q<{ id: string }>('SELECT id FROM outbox WHERE due <= ? ORDER BY due LIMIT ?'),
    unschedule: q('DELETE FROM outbox WHERE id = ?'),
    session: q<Row>('SELECT * FROM sessions WHERE id = ?'),
    touch: q('UPDATE sessions SET until = ?, expires = ? WHERE id = ?'),
    forget: q('UPDATE sessions SET visitor = NULL, source = ? WHERE id = ?'),
    addHolding: q('INSERT OR IGNORE INTO holdings (number, start, session) VALUES (?, ?, ?)'),
    holding: q<{ session: string }>('SELECT session FROM holdings WHERE number = ? AND start <= ? ORDER BY start DESC LIMIT 1'),
    busy: q<{ n: number }>('SELECT count(*) AS n FROM numbers WHERE pool = ? AND until > ?'),
    addCall: q('INSERT INTO calls (id, at, site, ref, data, session) VALUES (?, ?, ?, ?, ?, ?)'),
    callByRef: q<{ id: string; data: string }>('SELECT id, data FROM calls WHERE ref = ?'),
    setCall: q('UPDATE calls SET data = ? WHERE id = ?'),
    callsOf: q<{ data: string }>('SELECT data FROM calls WHERE site = ? AND at >= ? ORDER BY at DESC, rowid DESC LIMIT ?'),
    callsAll: q<{ data: string }>('SELECT data FROM calls WHERE at >= ? ORDER BY at DESC, rowid DESC LIMIT ?'),
    callsAfter: q<{ data: string; at: number; r: number }>('SELECT data, at, rowid AS r FROM calls WHERE site = ? AND (at > ? OR (at = ? AND rowid > ?)) ORDER BY at, rowid LIMIT ?'),
    fields: q<{ field: string }>('SELECT field FROM counters WHERE site = ? AND hour = ?'),
    add: q('INSERT INTO counters (site, hour, field, n) VALUES (?, ?, ?, ?) ON CONFLICT (site, hour, field) DO UPDATE SET n = n + excluded.n'),
    max: q('INSERT INTO counters (site, hour, field, n) VALUES (?, ?, ?, ?) ON CONFLICT (site, hour, field) DO UPDATE SET n = max(n, excluded.n)'),
    totals: q<{ field: string; n: number }>(`SELECT field, n FROM counters WHERE site = ? AND hour = ${TOTAL}`),
    sums: q<{ field: string; n: number }>(`SELECT field, sum(n) AS n FROM counters WHERE site = ? AND hour >= 0 AND hour > ? AND field NOT LIKE '${peakOf('')}%' GROUP BY field`),
    hours: q<{ hour: number; field: string; n: number }>('SELECT hour, field, n FROM counters WHERE site = ? AND hour >= 0 AND hour > ? ORDER BY hour'),
    page: q('SELECT 1 FROM missing WHERE site = ? AND page = ? LIMIT 1'),
    pages: q<{ n: number }>('SELECT count(DISTINCT page) AS n FROM missing WHERE site = ?'),
    addMissing: q('INSERT INTO missing (site, page, target, n) VALUES (?, ?, ?, 1) ON CONFLICT (site, page, target) DO UPDATE SET n = n + 1'),
    missing: q<{ page: string; target: string; n: number }>('SELECT page, target, n FROM missing WHERE site = ?'),
    addVital: q('INSERT INTO vitals (site, name, value) VALUES (?, ?, ?)'),
    vitals: q<{ name: string; value: number }>(`SELECT name, value FROM (SELECT name, value, id, row_number() OVER (PARTITION BY name ORDER BY id DESC) AS r FROM vitals WHERE site = ?) WHERE r <= ${HISTORY} ORDER BY id`),
    trimVitals: q(`DELETE FROM vitals WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY site, name ORDER BY id DESC) AS r FROM vitals) WHERE r > ${HISTORY})`),
    remember: q('INSERT INTO visitors (site, id, source, until) VALUES (?, ?, ?, ?) ON CONFLICT (site, id) DO UPDATE SET source = excluded.source, until = excluded.until'),
    recall: q<{ source: string }>('SELECT source FROM visitors WHERE site = ? AND id = ? AND until > ?'),
    forgetVisitor: q('DELETE FROM visitors WHERE site = ? AND id = ?'),
    dropVisitors: q('DELETE FROM visitors WHERE until <= ?'),
    callerUntil: q<{ until: number }>('SELECT until FROM callers WHERE site = ? AND caller = ?'),
    keepCaller: q('INSERT INTO callers (site, caller, until) VALUES (?, ?, ?) ON CONFLICT (site, caller) DO UPDATE SET until = max(until, excluded.until)'),
    dropCallers: q('DELETE FROM callers WHERE until <= ?'),
    expired: q<{ id: string }>('SELECT id FROM sessions WHERE expires <= ? LIMIT 10000'),
    dropSession: q('DELETE FROM sessions WHERE id = ?'),
    dropHoldings: q('DELETE FROM holdings WHERE session = ?'),
    dropCalls: q('DELETE FROM calls WHERE at < ?'),
    dropOutbox: q('DELETE FROM outbox WHERE id IN (SELECT id FROM calls WHERE at < ?)'),
    dropHours: q('DELETE FROM counters WHERE hour >= 0 AND hour < ?'),
  };

  /** Orders numbers freed at the same moment: the one that got there first leaves first. */
  const lastSeq = () => Number((db.prepare('SELECT max(seq) AS n FROM numbers').get([]) as { n: number | null }).n ?? 0);
  let seq = lastSeq();
  let claimed = -1;
  let salt = sql.getMeta.get('salt')?.value;
  /** Field names per counter bucket (site and hour), for the cap on distinct fields; read from disk once. */
  const known = new Map<string, Set<string>>();
  /** The operations waiting for the open transaction to commit. */
  let waiting: { resolve: () => void; reject: (e: unknown) => void }[] | undefined;
  /** Counter increments of the open transaction: "site\nhour\nfield" → [n, max?]. */
  const counts = new Map<string, [number, boolean]>();

  /** Writes the counter increments summed so far (into the open transaction). */
  const flush = (): void => {
    for (const [key, [n, max]] of counts) {
      const [site, hour, field] = key.split('\n');
      (max ? sql.max : sql.add).run(site, Number(hour), field, n);
    }
    counts.clear();
  };

  /** Ends the open transaction: commits it, or rolls it back when `failure` (or the commit itself) says so. */
  const end = (failure?: Error): void => {
    const list = waiting;
    if (!list) return;
    waiting = undefined;
    try {
      if (failure) throw failure;
      flush();
      db.exec('COMMIT');
      for (const op of list) op.resolve();
    } catch (e) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // Rolled back already.
      }
      // Whatever the operations wrote is gone: caches built from it too.
      counts.clear();
      known.clear();
      seq = lastSeq();
      for (const op of list) op.reject(e);
    }
  };

  /** Opens this turn's transaction; it commits before the next turn. */
  const begin = (): void => {
    db.exec('BEGIN IMMEDIATE');
    waiting = [];
    setImmediate(end);
  };

  /** Runs `fn` in this turn's transaction; resolves with its result once that transaction is committed. */
  const write = <T>(fn: () => T): Promise<T> => {
    if (!waiting) begin();
    const done = new Promise<T>((resolve, reject) => waiting!.push({ resolve: () => resolve(result), reject }));
    let result: T;
    try {
      result = fn();
    } catch (e) {
      end(e as Error);
    }
    return done;
  };

  /** Reads now, answered once what it may have read of this turn's writes is committed. */
  const read = <T>(fn: () => T): Promise<T> => {
    const result = fn();
    return waiting ? new Promise((resolve, reject) => waiting!.push({ resolve: () => resolve(result), reject })) : Promise.resolve(result);
  };

  const nextSeq = (): number => ++seq;
  const toSession = (row: Row): Session => ({
    id: row.id,
    site: row.site,
    visitor: row.visitor,
    source: JSON.parse(row.source) as Session['source'],
    numbers: JSON.parse(row.numbers) as Session['numbers'],
    pools: JSON.parse(row.pools) as Session['pools'],
    created: row.created,
    until: row.until,
    ip: row.ip,
    ...(JSON.parse(row.visit || '{}') as Visit),
  });

  /** Applies `change` to a session's calls (JSON in the data column). */
  const changeCalls = (session: string, change: (call: Call) => void): void => {
    for (const row of sql.sessionCalls.all(session)) {
      const call = readCall(row.data);
      change(call);
      sql.setCall.run(JSON.stringify(call), row.id);
    }
  };

  /** Renews or ends a live session: its numbers are held until `until(now)`. */
  const touch = (id: string, sites: string[] | undefined, until: (t: number) => number, keep: number, release: boolean): Touched => {
    const row = sql.session.get(id);
    const t = now();
    if (!row) return 'unknown';
    if (row.until <= t) return 'gone';
    if (sites && !sites.includes(row.site)) return 'forbidden';
    const next = until(t);
    sql.touch.run(next, next + keep, id);
    for (const [number, pool] of Object.entries(JSON.parse(row.pools) as Record<string, string>)) sql.hold.run(next, nextSeq(), number, pool);
    if (release) {
      // Consent withdrawn: the pool forgets who it was (visitor id, click ids, landing page, referrer, GA's ids), in
      // its calls too.
      const session = changeVisit(toSession(row), { forget: true });
      sql.forget.run(JSON.stringify(session.source), id);
      sql.setVisit.run(JSON.stringify({ consent: session.consent, taps: session.taps }), JSON.stringify(session.source), id);
      changeCalls(id, (call) => void changeVisit(call, { forget: true }));
    }
    return { site: row.site, until: next };
  };

  /**
   * Adds to (or raises) one counter of a bucket, written at the commit (counters.ts: a new field past the cap counts
   * as its kind's "(other)").
   */
  const add = (site: string, hour: number, field: string, n: number, max = false): void => {
    const bucket = `${site}\n${hour}`;
    let fields = known.get(bucket);
    if (!fields) {
      // Buckets of past hours are not written again: forgotten as the cache grows.
      if (known.size > 1000) known.clear();
      known.set(bucket, (fields = new Set(sql.fields.all(site, hour).map((r) => r.field))));
    }
    field = capped(field, fields.has(field), fields.size);
    fields.add(field);
    const key = `${bucket}\n${field}`;
    const before = counts.get(key);
    counts.set(key, [before ? (max ? Math.max(before[0], n) : before[0] + n) : n, max]);
    // Written with this turn's group, whose commit the count does not wait for: counters are the one thing a kill -9
    // can take from the last few milliseconds, never a lease or a call.
    if (!waiting) begin();
  };

  const readCall = (data: string): Call => JSON.parse(data) as Call;

  // The write-ahead log goes into the database file from a thread of its own (a connection of its own), once a
  // second: copying a second of writes takes milliseconds that requests would otherwise wait for.
  const checkpointer = new Worker(CHECKPOINTER, { eval: true, workerData: { libsql: require.resolve('libsql'), file: join(dir, DB_FILE), every: CHECKPOINT_EVERY } });
  checkpointer.unref();

  return {
    async syncPools(config) {
      return write(() => {
        for (const [pool, numbers] of config) {
          const wanted = new Set(numbers);
          for (const { number } of sql.poolNumbers.all(pool)) if (!wanted.has(number)) sql.dropNumber.run(number);
          // A number already in the pool keeps its place (and holding); new ones start as never held.
          for (const number of numbers) sql.addNumber.run(number, pool, nextSeq());
        }
        for (const { pool } of sql.pools.all()) if (!config.has(pool)) sql.dropPool.run(pool);
      });
    },

    async lease({ session: input, picks, claim, quarantine, maxPerIp, keep }) {
      return write(() => {
        const t = now();
        const live = sql.live.get(input.site, input.ip, t)!;
        if (live.n >= maxPerIp) return { limited: live.first! - t };
        const session: Session = { ...input, numbers: {}, pools: {}, created: t, until: t + claim };
        const exhausted: string[] = [];
        for (const { target, pool } of picks) {
          const top = sql.free.get(pool);
          if (!top || top.until + quarantine > t) {
            exhausted.push(target);
            continue;
          }
          sql.hold.run(session.until, nextSeq(), top.number, pool);
          sql.addHolding.run(top.number, t, session.id);
          session.numbers[target] = top.number;
          session.pools[top.number] = pool;
        }
        sql.addSession.run(
          session.id,
          session.site,
          session.visitor,
          JSON.stringify(session.source),
          JSON.stringify(session.numbers),
          JSON.stringify(session.pools),
          t,
          session.until,
          session.ip,
          session.until + keep,
          JSON.stringify({ ...(input.consent && { consent: input.consent }), ...(input.ga && { ga: input.ga }) }),
        );
        return { session, exhausted };
      });
    },

    async heartbeat(id, { ttl, keep, sites }) {
      return write(() => touch(id, sites, (t) => t + ttl, keep, false));
    },

    async release(id, { keep, sites }) {
      return write(() => touch(id, sites, (t) => t, keep, true));
    },

    async getSession(id) {
      return read(() => {
        const row = sql.session.get(id);
        return row && toSession(row);
      });
    },

    async holderAt(number, at, grace) {
      return read(() => {
        const holding = sql.holding.get(number, at);
        const row = holding && sql.session.get(holding.session);
        return row && at <= row.until + grace ? toSession(row) : undefined;
      });
    },

    async held(pools, rest = 0) {
      return read(() => {
        const t = now() - rest;
        return Object.fromEntries(pools.map((pool) => [pool, sql.busy.get(pool, t)!.n]));
      });
    },

    async addCall(call) {
      return write(() => void sql.addCall.run(call.id, Date.parse(call.at), call.site ?? null, call.ref ?? null, JSON.stringify(call), call.session ?? null));
    },

    async patchCall(id, patch) {
      return write(() => {
        const row = sql.callById.get(id);
        if (!row) return;
        const call = { ...readCall(row.data), ...patch };
        sql.setCall.run(JSON.stringify(call), id);
        return call;
      });
    },

    async getCall(id) {
      return read(() => {
        const row = sql.callById.get(id);
        return row && readCall(row.data);
      });
    },

    async patchVisit(id, change) {
      return write(() => {
        const row = sql.session.get(id);
        if (!row) return;
        const session = changeVisit(toSession(row), change);
        const { consent, ga, taps } = session;
        sql.setVisit.run(JSON.stringify({ consent, ga, taps }), JSON.stringify(session.source), id);
        changeCalls(id, (call) => void changeVisit(call, change));
        return session;
      });
    },

    async tap(id, number) {
      return write(() => {
        const row = sql.session.get(id);
        if (!row) return false;
        const session = toSession(row);
        if (session.taps?.includes(number)) return false;
        const { consent, ga } = session;
        sql.setVisit.run(JSON.stringify({ consent, ga, taps: [...(session.taps ?? []), number] }), row.source, id);
        return true;
      });
    },

    async schedule(id, due) {
      return write(() => void sql.schedule.run(id, due));
    },

    async due(t, limit) {
      return write(() => {
        const ids = sql.due.all(t, limit).map((row) => row.id);
        for (const id of ids) sql.unschedule.run(id);
        return ids;
      });
    },

    async updateCall(ref, patch) {
      return write(() => {
        const row = sql.callByRef.get(ref);
        if (!row) return;
        const call = { ...readCall(row.data), ...patch };
        sql.setCall.run(JSON.stringify(call), row.id);
        return call;
      });
    },

    async findCall(ref) {
      return read(() => {
        const row = sql.callByRef.get(ref);
        return row && readCall(row.data);
      });
    },

    async listCalls({ site, since = -Infinity, limit }) {
      return read(() => {
        const from = Number.isFinite(since) ? since : Number.MIN_SAFE_INTEGER;
        return (site ? sql.callsOf.all(site, from, limit) : sql.callsAll.all(from, limit)).map((row) => readCall(row.data));
      });
    },

    async remember(site, id, source, until) {
      return write(() => void sql.remember.run(site, id, JSON.stringify(source), until));
    },

    async recall(site, id) {
      return read(() => {
        const row = sql.recall.get(site, id, now());
        return row && (JSON.parse(row.source) as Session['source']);
      });
    },

    async forget(site, id) {
      return write(() => void sql.forgetVisitor.run(site, id));
    },

    async caller(site, caller, at, until) {
      return write(() => {
        const before = sql.callerUntil.get(site, caller)?.until;
        sql.keepCaller.run(site, caller, until);
        return before != null && before > at;
      });
    },

    async *eachCall({ site, since }, batch = CALL_BATCH) {
      // Keyset pages (at, rowid): each batch is one short read, and the next starts where it ended.
      let at = since - 1;
      let rowid = Number.MAX_SAFE_INTEGER;
      for (;;) {
        const rows = sql.callsAfter.all(site, at, at, rowid, batch);
        if (!rows.length) return;
        yield rows.map((row) => readCall(row.data));
        [at, rowid] = [rows.at(-1)!.at, rows.at(-1)!.r];
        await new Promise((resolve) => setImmediate(resolve));
      }
    },

    async count(site, fields, at) {
      for (const [field, n] of Object.entries(fields)) {
        add(site, TOTAL, field, n);
        add(site, hourOf(at), field, n);
      }
    },

    async counters(site, since) {
      flush();
      return read(() => Object.fromEntries((since == null ? sql.totals.all(site) : sql.sums.all(site, since - HOUR)).map((r) => [r.field, r.n])));
    },

    async series(site, since) {
      flush();
      return read(() => {
        const out: Record<number, Record<string, number>> = {};
        for (const { hour, field, n } of sql.hours.all(site, since - HOUR)) (out[hour] ??= {})[field] = n;
        return out;
      });
    },

    async peak(site, pool, held, at) {
      add(site, hourOf(at), peakOf(pool), held, true);
    },

    async addMissing(site, page, targets) {
      return write(() => {
        if (!sql.page.get(site, page) && sql.pages.get(site)!.n >= MAX_PAGES) return;
        for (const target of targets) sql.addMissing.run(site, page, target);
      });
    },

    async missing(site) {
      return read(() => {
        const out: Record<string, Record<string, number>> = {};
        for (const { page, target, n } of sql.missing.all(site)) (out[page] ??= {})[target] = n;
        return out;
      });
    },

    async addVital(site, name, value) {
      return write(() => void sql.addVital.run(site, name, value));
    },

    async vitals(site) {
      return read(() => {
        const out: Record<string, number[]> = {};
        for (const { name, value } of sql.vitals.all(site)) (out[name] ??= []).push(value);
        return out;
      });
    },

    async sweep(retention) {
      return write(() => {
        const t = now();
        for (const { id } of sql.expired.all(t)) {
          sql.dropHoldings.run(id);
          sql.dropSession.run(id);
        }
        const cutoff = t - retention;
        sql.dropOutbox.run(cutoff);
        sql.dropCalls.run(cutoff);
        sql.dropVisitors.run(t);
        sql.dropCallers.run(t);
        sql.dropHours.run(cutoff - HOUR);
        sql.trimVitals.run();
      });
    },

    async claimMinute(minute) {
      if (minute <= claimed) return false;
      claimed = minute;
      return true;
    },
    async now() {
      return now();
    },
    async salt() {
      if (!salt) {
        const made = randomBytes(16).toString('base64url');
        await write(() => sql.setMeta.run('salt', made));
        salt = made;
      }
      return salt;
    },
    async ping() {
      db.prepare('SELECT 1').get([]);
    },
    async close() {
      await checkpointer.terminate();
      end();
      if (db.open) {
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
      }
    },
  };
}

/** A row of the sessions table. */
interface Row {
  id: string;
  site: string;
  visitor: string | null;
  source: string;
  numbers: string;
  pools: string;
  created: number;
  until: number;
  ip: string;
  visit: string;
}
