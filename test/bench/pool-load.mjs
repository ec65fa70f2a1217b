// Load tests of the pool server, on loopback only, bounded in clients and time, stopping by themselves.
// Needs `npm run build:server` and redis-server (Debian's). Run: node test/bench/pool-load.mjs
//
// 1. Throughput (autocannon, 50 connections): the pool server against the limit (test/bench/limit-server.mjs: a
//    minimal node:http server that parses the same JSON and answers a same-size JSON), alternating in one run, with
//    a pool of 100 numbers and one of 20,000. A lease is measured as a lease-and-release cycle (POST, then DELETE),
//    so every lease finds a free number whatever the pool's size; heartbeats renew 50 live leases. The pool servers
//    log a line per request (to nowhere), as in production. Memory and SQLite stores: one process; Redis: two
//    processes on one Redis, 25 connections each, against two limit processes.
// 2. Safety: 200 clients lease, heartbeat and walk away on a 5-number pool with 2-second ttls and no quarantine;
//    one process (memory), one process (SQLite) killed (kill -9) mid-run and started again on its data, two
//    processes on one Redis, and the same with one killed mid-run. Checked, not assumed: no number held by two live
//    sessions (seen by the clients, and in SQLite's and Redis's own history), and every confirmed holding still
//    attributes a call.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { ADMIN_TOKEN, freePort, startPoolServer, startRedis, tempDataDir } from '../servers.mjs';

const SECONDS = Number(process.env.LOAD_SECONDS || 3);
const ROUNDS = Number(process.env.LOAD_ROUNDS || 5);
const CLIENTS = Number(process.env.LOAD_CLIENTS || 200);
const TARGET = '+442079460018';
const numbers = (n, from) => Array.from({ length: n }, (_, i) => `+44${from + i}`);
const open = { rateLimit: { perIp: 1e9, perVisitor: 1e9, windowSeconds: 60 }, maxLeasesPerIp: 1e9 };
const dir = mkdtempSync(join(tmpdir(), 'callswap-load-'));
const write = (name, config) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
};
const THROUGHPUT = write('throughput.json', {
  ...open,
  quarantine: 0,
  // A run's last leases are not released (the run ends first): they free within a second.
  claim: 1,
  sites: {
    small: { numbers: { [TARGET]: { pools: { default: numbers(100, 2079000000) } } } },
    large: { numbers: { '+442079460555': { pools: { default: numbers(20_000, 2080000000) } } } },
    beats: { numbers: { '+442079460666': { pools: { default: numbers(200, 2081000000) } } } },
  },
});
const SAFETY_TTL = 2000;
const SAFETY = write('safety.json', {
  ...open,
  ttl: 2,
  claim: 2,
  heartbeat: 1,
  quarantine: 0,
  attributionWindow: 3600,
  sites: { load: { numbers: { [TARGET]: { pools: { default: numbers(5, 2079461000) } } } } },
});
const source = { channel: 'paid_search', source: 'google', medium: 'cpc', clickIds: {}, referrer: '', landingPage: 'http://load.test/' };
const json = { 'content-type': 'application/json' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];

/** The limit: node test/bench/limit-server.mjs on a free port. */
const startLimit = async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [new URL('./limit-server.mjs', import.meta.url).pathname], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(base, { method: 'DELETE' }).then((r) => r.ok, () => false)) return base;
    await sleep(50);
  }
  throw new Error('the limit server did not start');
};

/** A lease-and-release cycle per request pair on each connection; resolves with leases/s and latencies. */
const leaseLoad = (base, site, target, connections) => {
  let leased = 0;
  let visitor = 0;
  return run(base, connections, [
    {
      method: 'POST',
      path: '/v1/sessions',
      headers: json,
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ site, visitor: `load-${process.pid}-${++visitor}`, targets: [target], source, page: '/' }) }),
      onResponse: (status, body, context) => {
        const lease = status == 201 ? JSON.parse(body) : undefined;
        if (lease?.numbers?.[target]) leased++;
        context.session = lease?.session;
      },
    },
    { method: 'DELETE', setupRequest: (req, context) => context.session && { ...req, path: `/v1/sessions/${context.session}` } },
  ]).then((r) => ({ ...r, rate: leased / r.seconds }));
};

/** Heartbeats on live leases, spread over the connections. */
const heartbeatLoad = async (base, site, target, connections) => {
  const sessions = [];
  for (let i = 0; i < connections; i++) {
    const res = await fetch(`${base}/v1/sessions`, { method: 'POST', headers: json, body: JSON.stringify({ site, visitor: `beat-${i}-visitor`, targets: [target], source, page: '/' }) });
    sessions.push((await res.json()).session);
  }
  let beats = 0;
  let next = 0;
  const result = await run(base, connections, [
    {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ page: '/', visible: true }),
      setupRequest: (req) => ({ ...req, path: `/v1/sessions/${sessions[next++ % sessions.length]}/heartbeat` }),
      onResponse: (status) => status == 200 && beats++,
    },
  ]);
  // Released, so the next run finds the pool as this one did.
  await Promise.all(sessions.map((session) => fetch(`${base}/v1/sessions/${session}`, { method: 'DELETE' })));
  return { ...result, rate: beats / result.seconds };
};

const run = (base, connections, requests, seconds = SECONDS) =>
  autocannon({ url: base, connections, duration: seconds, requests }).then((r) => ({ seconds, p99: r.latency.p99, errors: r.errors + r.non2xx }));

/** Several loads at once (one per server), summed: requests per second add up, the worst p99 counts. */
const together = async (loads) => {
  const results = await Promise.all(loads);
  return { rate: results.reduce((n, r) => n + r.rate, 0), p99: Math.max(...results.map((r) => r.p99)), errors: results.reduce((n, r) => n + r.errors, 0) };
};

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/**
 * Alternates limit and pool server runs for each workload; the ratio is each run against the limit runs next to it.
 * `bases` and `limits` are lists: one load per server, summed.
 */
const throughput = async (name, bases, limits, goals) => {
  const rows = [];
  const per = Math.floor(50 / bases.length);
  const workloads = [
    ['lease + release, pool of 100', (b) => leaseLoad(b, 'small', TARGET, per), 'lease'],
    ['heartbeat', (b) => heartbeatLoad(b, 'beats', '+442079460666', per), 'heartbeat'],
  ];
  const measured = new Map();
  // Warm-up: every server runs every workload once before anything is timed (JIT, connection pools, caches).
  for (const [, load] of workloads) await together([...limits, ...bases].map(load));
  for (let round = 0; round < ROUNDS; round++) {
    // The order turns each round, so no workload always comes first.
    for (const [label, load, kind] of [...workloads.slice(round % workloads.length), ...workloads.slice(0, round % workloads.length)]) {
      const limit = await together(limits.map(load));
      const ours = await together(bases.map(load));
      const list = measured.get(label) || [];
      list.push({ limit, ours, kind });
      measured.set(label, list);
    }
  }
  for (const [label, list] of measured) {
    const ratios = list.map((m) => m.ours.rate / m.limit.rate);
    const ratio = median(ratios);
    // Like the ratios, the median of the rounds, each round printed: a round's p99 is already its worst 1 %, and
    // the limit's in the same rounds shows what the machine and the load generator add on their own.
    const p99s = list.map((m) => m.ours.p99);
    const p99 = median(p99s);
    const limitP99 = median(list.map((m) => m.limit.p99));
    const kind = list[0].kind;
    const goal = goals[kind];
    const ok = (goal == null || ratio >= goal) && p99 <= goals.p99;
    rows.push(
      `| ${name}: ${label} | ${median(list.map((m) => m.ours.rate)).toFixed(0)}/s | ${median(list.map((m) => m.limit.rate)).toFixed(0)}/s | ${ratio.toFixed(2)}× (${ratios.map((r) => r.toFixed(2)).join(', ')}) | ${goal == null ? '—' : `≥ ${goal}×`} | ${p99} ms (${p99s.join(', ')}; limit ${limitP99} ms) | ≤ ${goals.p99} ms | ${list.reduce((n, m) => n + m.ours.errors, 0)} | ${ok ? 'met' : 'missed'} |`,
    );
  }
  // The pool's size: both pools run back to back in each round (which first alternates), and each round's quotient
  // counts, so the machine's drift between rounds cancels out.
  const spreads = [];
  for (let round = 0; round < ROUNDS; round++) {
    const pair = [['small', TARGET], ['large', '+442079460555']];
    if (round % 2) pair.reverse();
    const rates = {};
    for (const [site, target] of pair) rates[site] = (await together(bases.map((b) => leaseLoad(b, site, target, per)))).rate;
    spreads.push(rates.large / rates.small);
  }
  const spread = median(spreads);
  rows.push(`| ${name}: leases/s with 20,000 numbers / with 100 | ${spread.toFixed(2)}× (${spreads.map((r) => r.toFixed(2)).join(', ')}) | | | within 20% | | | | ${Math.abs(spread - 1) <= 0.2 ? 'met' : 'missed'} |`);
  return rows;
};

/**
 * Runs the safety clients against the servers (round-robin; a client whose server died moves to another). Returns
 * the holdings each session saw confirmed: number, session, lease received, last heartbeat sent.
 */
const drive = async (bases, { killAfter } = {}) => {
  const end = Date.now() + 8000;
  const holdings = [];
  let failures = 0;
  const alive = [...bases];
  if (killAfter) setTimeout(killAfter.kill, killAfter.ms).unref();
  const post = async (base, path, body) => {
    const res = await fetch(base + path, { method: 'POST', headers: json, body: JSON.stringify(body) });
    return { status: res.status, body: res.status == 204 ? undefined : await res.json() };
  };
  const client = async (id) => {
    let turn = id;
    while (Date.now() < end) {
      const base = alive[turn++ % alive.length];
      try {
        const sent = Date.now();
        const lease = await post(base, '/v1/sessions', { site: 'load', visitor: `visitor-${id}-${turn}`, targets: [TARGET], source, page: '/' });
        const number = lease.body?.numbers?.[TARGET];
        if (lease.status != 201 || !number) {
          await sleep(50);
          continue;
        }
        const holding = { number, session: lease.body.session, received: Date.now(), sent, beatSent: sent };
        holdings.push(holding);
        // A few heartbeats, then walk away (the number frees a ttl after the last one) or release it at once.
        for (let beat = 0; beat < 1 + (turn % 3) && Date.now() < end; beat++) {
          await sleep(300);
          const beatSent = Date.now();
          if ((await post(base, `/v1/sessions/${holding.session}/heartbeat`, { page: '/', visible: true })).status == 200) holding.beatSent = beatSent;
        }
        if (turn % 3) {
          // Released: from the moment it is asked, the number may be another session's.
          holding.releaseSent = Date.now();
          await fetch(`${base}/v1/sessions/${holding.session}`, { method: 'DELETE' });
        }
      } catch {
        failures++;
        if (killAfter && alive.length > 1) alive.splice(alive.indexOf(base), 1);
        // A process coming back (the SQLite run): ask again soon, not in a tight loop.
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  return { holdings, failures, alive };
};

/** Double assignments the clients saw: B received X before A's last confirmed heartbeat was even sent plus the ttl. */
const clientOverlaps = (holdings) => {
  const byNumber = new Map();
  for (const h of holdings) byNumber.set(h.number, [...(byNumber.get(h.number) || []), h]);
  let overlaps = 0;
  for (const list of byNumber.values()) {
    list.sort((a, b) => a.received - b.received);
    for (let i = 1; i < list.length; i++) {
      for (let j = 0; j < i; j++) {
        // j surely still held it: its last confirmed heartbeat plus the ttl had not passed, nor had it asked to release.
        const held = Math.min(list[j].beatSent + SAFETY_TTL, list[j].releaseSent ?? Infinity);
        if (list[i].received < held && list[i].sent > list[j].received) overlaps++;
      }
    }
  }
  return overlaps;
};

/** Double assignments in Redis's own history: a holding that began before the previous holder's session ended. */
const storeOverlaps = async (url) => {
  const redis = new Redis(url);
  let overlaps = 0;
  let checked = 0;
  for (const key of await redis.keys('callswap:hist:*')) {
    const history = await redis.zrange(key, 0, -1, 'WITHSCORES');
    for (let i = 2; i < history.length; i += 2) {
      checked++;
      const until = Number(await redis.hget(`callswap:session:${history[i - 2]}`, 'until'));
      if (Number(history[i + 1]) < until) overlaps++;
    }
  }
  redis.disconnect();
  if (!checked) throw new Error('no holdings in Redis: the check would prove nothing');
  return overlaps;
};

/** Double assignments in the SQLite file's own history: a holding that began before the previous holder's end. */
const sqliteOverlaps = (dataDir) => {
  const Database = createRequire(import.meta.url)('libsql');
  const db = new Database(join(dataDir, 'callswap.db'), { readonly: true });
  const rows = db.prepare('SELECT h.number, h.start, s.until FROM holdings h JOIN sessions s ON s.id = h.session ORDER BY h.number, h.start').all([]);
  db.close();
  if (rows.length < 2) throw new Error('no holdings in the SQLite file: the check would prove nothing');
  let overlaps = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i].number == rows[i - 1].number && rows[i].start < rows[i - 1].until) overlaps++;
  return overlaps;
};

/** Every confirmed holding attributes a call placed while it held the number. */
const lostAttributions = async (base, holdings) => {
  let lost = 0;
  const checked = holdings.slice(0, 300);
  for (const h of checked) {
    const res = await fetch(`${base}/v1/calls`, { method: 'POST', headers: { ...json, authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ to: h.number, at: new Date(h.received).toISOString() }) });
    if ((await res.json()).session != h.session) lost++;
  }
  return { checked: checked.length, lost };
};

const throughputRows = [];
const safetyRows = [];
let failed = false;
const safety = (name, result, overlaps, attribution) => {
  safetyRows.push(`| ${name} | ${result.holdings.length} | ${overlaps} | ${attribution.checked - attribution.lost} / ${attribution.checked} | ${result.failures} |`);
  failed ||= overlaps > 0 || attribution.lost > 0;
};
try {
  // LOAD_ONLY=safety skips the throughput runs (a quicker check of the safety runs alone); LOAD_STORES=sqlite (or a
  // comma-separated list of memory, sqlite, redis) measures only those stores.
  const measure = process.env.LOAD_ONLY != 'safety';
  const stores = (process.env.LOAD_STORES || 'memory,sqlite,redis').split(',');
  const limit = await startLimit();
  if (measure && stores.includes('memory')) {
    const memory = await startPoolServer({ CONFIG: THROUGHPUT, STORE: 'memory' }, undefined, { logs: true });
    children.push(memory.child);
    throughputRows.push(...(await throughput('memory store, 1 process', [memory.base], [limit], { lease: 0.4, heartbeat: 0.6, p99: 20 })));
    memory.stop();
  }

  if (measure && stores.includes('sqlite')) {
    const sqlite = await startPoolServer({ CONFIG: THROUGHPUT }, undefined, { logs: true });
    children.push(sqlite.child);
    throughputRows.push(...(await throughput('SQLite store, 1 process', [sqlite.base], [limit], { lease: 0.3, heartbeat: 0.6, p99: 20 })));
    sqlite.stop();
  }

  // SQLite: the process is killed (kill -9) 4 s into the run and started again on the same data and port.
  const dataDir = tempDataDir();
  const sqliteSafety = await startPoolServer({ CONFIG: SAFETY, DATA_DIR: dataDir });
  children.push(sqliteSafety.child);
  const port = Number(new URL(sqliteSafety.base).port);
  const restarted = await drive([sqliteSafety.base], {
    killAfter: {
      ms: 4000,
      kill: async () => {
        sqliteSafety.child.kill('SIGKILL');
        await new Promise((r) => sqliteSafety.child.once('exit', r));
        children.push((await startPoolServer({ CONFIG: SAFETY, DATA_DIR: dataDir }, port)).child);
      },
    },
  });
  safety(
    '1 process, SQLite store, killed (kill -9) mid-run and started again',
    restarted,
    clientOverlaps(restarted.holdings) + sqliteOverlaps(dataDir),
    await lostAttributions(sqliteSafety.base, restarted.holdings),
  );

  const memorySafety = await startPoolServer({ CONFIG: SAFETY, STORE: 'memory' });
  children.push(memorySafety.child);
  const alone = await drive([memorySafety.base]);
  safety(`1 process, memory store (${CLIENTS} clients, 5 numbers)`, alone, clientOverlaps(alone.holdings), await lostAttributions(memorySafety.base, alone.holdings));

  const redis = await startRedis();
  if (!redis) {
    throughputRows.push('| Redis store | redis-server is not installed | | | | | | | |');
    failed ||= !!process.env.CI;
  } else {
    children.push(redis.child);
    if (measure && stores.includes('redis')) {
      const limits = [limit, await startLimit()];
      const shared = [];
      for (let i = 0; i < 2; i++) shared.push(await startPoolServer({ CONFIG: THROUGHPUT, REDIS_URL: redis.url }, undefined, { logs: true }));
      shared.forEach((s) => children.push(s.child));
      throughputRows.push(...(await throughput('Redis store, 2 processes', shared.map((s) => s.base), limits, { lease: 0.2, p99: 50 })));
      shared.forEach((s) => s.stop());
    }

    await new Redis(redis.url).flushall();
    const servers = [];
    for (let i = 0; i < 2; i++) servers.push(await startPoolServer({ CONFIG: SAFETY, REDIS_URL: redis.url }));
    servers.forEach((s) => children.push(s.child));
    const bases = servers.map((s) => s.base);
    const both = await drive(bases);
    safety('2 processes, one Redis', both, clientOverlaps(both.holdings) + (await storeOverlaps(redis.url)), await lostAttributions(bases[1], both.holdings));

    // Redis keeps the first run's history: the second check covers both runs.
    const killed = await drive(bases, { killAfter: { ms: 4000, kill: () => servers[1].child.kill('SIGKILL') } });
    safety(
      '2 processes, one killed (kill -9) mid-run',
      killed,
      clientOverlaps(killed.holdings) + (await storeOverlaps(redis.url)),
      await lostAttributions(killed.alive[0], killed.holdings),
    );
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
}

console.log('| pool server throughput (loopback, 50 connections) | pool server | limit | ratio (runs) | goal | p99, median (runs; limit) | goal | errors | |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
throughputRows.forEach((row) => console.log(row));
console.log('');
console.log(`| pool server safety (${CLIENTS} clients, 5 numbers, 2 s ttl, no quarantine) | holdings | double assignments | calls attributed | requests lost to a dead process |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
safetyRows.forEach((row) => console.log(row));
process.exit(failed ? 1 : 0);
