// Load test of the reference pool server, on loopback only, bounded in clients and time, stopping by itself.
// N clients lease, heartbeat and walk away in a loop against a pool of M numbers with a 1 s ttl, so numbers are
// reused all the time. Three runs: one process (in-memory store); two processes sharing one Redis; the same with
// one process killed (kill -9) mid-run. Each prints leases/s, lease latency p50/p99, and checks — not assumes —
// that no number was held by two live sessions and that every confirmed holding still attributes a call.
// Needs `npm run build:server` and redis-server (Debian's). Run: node test/bench/pool-load.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { startPoolServer, startRedis } from '../servers.mjs';

const CLIENTS = Number(process.env.LOAD_CLIENTS || 50);
const NUMBERS = Number(process.env.LOAD_NUMBERS || 100);
const SECONDS = Number(process.env.LOAD_SECONDS || 5);
const TTL = 1000;
const TARGET = '+442079460018';
const pool = Array.from({ length: NUMBERS }, (_, i) => `+4420794${String(61000 + i).padStart(5, '0')}`);
const config = {
  ttl: TTL / 1000,
  heartbeat: 1,
  quarantine: 0,
  allowedOrigins: ['*'],
  rateLimit: { perIp: 1e9, perVisitor: 1e9, windowSeconds: 60 },
  sites: { load: { numbers: { [TARGET]: { pools: { default: pool } } } } },
};
const dir = mkdtempSync(join(tmpdir(), 'callswap-load-'));
const configFile = join(dir, 'config.json');
writeFileSync(configFile, JSON.stringify(config));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const post = async (base, path, body) => {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: res.status == 204 ? undefined : await res.json() };
};

const source = { channel: 'paid_search', source: 'google', medium: 'cpc', clickIds: {}, referrer: '', landingPage: 'http://load.test/' };

/**
 * Runs the clients against the servers (round-robin; a client whose server died moves to another). Returns the
 * holdings each session saw confirmed: number, session, lease received, last heartbeat sent.
 */
const drive = async (bases, { killAfter } = {}) => {
  const end = Date.now() + SECONDS * 1000;
  const latencies = [];
  const holdings = [];
  let leases = 0;
  let failures = 0;
  const alive = [...bases];
  if (killAfter) setTimeout(killAfter.kill, killAfter.ms).unref();
  const client = async (id) => {
    let turn = id;
    while (Date.now() < end) {
      const base = alive[turn++ % alive.length];
      try {
        const sent = Date.now();
        const lease = await post(base, '/v1/sessions', { site: 'load', visitor: `visitor-${id}-${turn}`, targets: [TARGET], source, page: '/' });
        const received = Date.now();
        latencies.push(received - sent);
        const number = lease.body?.numbers?.[TARGET];
        if (lease.status != 201 || !number) {
          await sleep(20);
          continue;
        }
        leases++;
        const holding = { number, session: lease.body.session, received, sent, beatSent: sent };
        holdings.push(holding);
        // A few heartbeats, then walk away (the number frees ttl after the last one).
        for (let beat = 0; beat < 1 + (turn % 3) && Date.now() < end; beat++) {
          await sleep(200);
          const beatSent = Date.now();
          const res = await post(base, `/v1/sessions/${holding.session}/heartbeat`, { page: '/', visible: true });
          if (res.status == 200) holding.beatSent = beatSent;
        }
      } catch {
        // This server is gone: the next turn goes to another.
        failures++;
        if (killAfter && alive.length > 1) alive.splice(alive.indexOf(base), 1);
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { holdings, leases, attempts: latencies.length, failures, seconds: (Date.now() - started) / 1000, p50: q(50), p99: q(99), alive };
};

/**
 * Double assignments seen by the clients, conservatively: session B received number X before session A's last
 * confirmed heartbeat was even sent plus the ttl, so A surely still held X.
 */
const clientOverlaps = (holdings) => {
  const byNumber = new Map();
  for (const h of holdings) byNumber.set(h.number, [...(byNumber.get(h.number) || []), h]);
  let overlaps = 0;
  for (const list of byNumber.values()) {
    list.sort((a, b) => a.received - b.received);
    for (let i = 1; i < list.length; i++) {
      for (let j = 0; j < i; j++) if (list[i].received < list[j].beatSent + TTL && list[i].sent > list[j].received) overlaps++;
    }
  }
  return overlaps;
};

/** Double assignments in the store's own history (Redis): holdings of one number that overlap in time. */
const storeOverlaps = async (url) => {
  const client = createClient({ url });
  await client.connect();
  let overlaps = 0;
  let checked = 0;
  for (const number of pool) {
    const history = (await client.lRange(`callswap:holdings:${number}`, 0, -1)).map((raw) => JSON.parse(raw));
    checked += history.length;
    for (let i = 1; i < history.length; i++) if (history[i].from < history[i - 1].until) overlaps++;
  }
  await client.quit();
  if (!checked) throw new Error('no holdings in Redis: the check would prove nothing');
  return overlaps;
};

/** Every confirmed holding attributes a call placed while it held the number. */
const lostAttributions = async (base, holdings) => {
  let lost = 0;
  for (const h of holdings.slice(0, 300)) {
    const call = await post(base, '/v1/calls', { to: h.number, at: new Date(h.received).toISOString() });
    if (call.body.session != h.session) lost++;
  }
  return { checked: Math.min(holdings.length, 300), lost };
};

const rows = [];
const report = (name, r, overlaps, attribution) =>
  rows.push(
    `| ${name} | ${r.leases} | ${(r.leases / r.seconds).toFixed(0)} | ${(r.attempts / r.seconds).toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${overlaps} of ${r.holdings.length} | ${attribution ? `${attribution.checked - attribution.lost} / ${attribution.checked}` : '—'} | ${r.failures} |`,
  );
const children = [];
let failed = false;
try {
  // 1. One process, in-memory store.
  const memoryServer = await startPoolServer({ CONFIG: configFile, STATIC: '' });
  children.push(memoryServer.child);
  const base = memoryServer.base;
  const memory = await drive([base]);
  const memoryOverlaps = clientOverlaps(memory.holdings);
  report(`1 process, memory store (${CLIENTS} clients, ${NUMBERS} numbers)`, memory, memoryOverlaps, await lostAttributions(base, memory.holdings));
  failed ||= memoryOverlaps > 0;

  const redis = await startRedis();
  if (!redis) {
    rows.push('| 2 processes sharing Redis | redis-server is not installed | | | | | | | |');
    failed ||= !!process.env.CI;
  } else {
    children.push(redis.child);
    // 2. Two processes sharing one Redis.
    const servers = [];
    for (let i = 0; i < 2; i++) servers.push(await startPoolServer({ CONFIG: configFile, STATIC: '', REDIS_URL: redis.url }));
    servers.forEach((s) => children.push(s.child));
    const bases = servers.map((s) => s.base);
    const shared = await drive(bases);
    const sharedOverlaps = clientOverlaps(shared.holdings) + (await storeOverlaps(redis.url));
    report('2 processes, one Redis', shared, sharedOverlaps, await lostAttributions(bases[1], shared.holdings));
    failed ||= sharedOverlaps > 0;

    // 3. The same, one process killed with kill -9 halfway through.
    await spawnSync('redis-cli', ['-u', redis.url, 'FLUSHALL']);
    const victim = children.at(-1);
    const killed = await drive(bases, { killAfter: { ms: (SECONDS * 1000) / 2, kill: () => victim.kill('SIGKILL') } });
    const killedOverlaps = clientOverlaps(killed.holdings) + (await storeOverlaps(redis.url));
    const attribution = await lostAttributions(killed.alive[0], killed.holdings);
    report('2 processes, one killed (kill -9) mid-run', killed, killedOverlaps, attribution);
    failed ||= killedOverlaps > 0 || attribution.lost > 0;
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
}

console.log('| pool server load (loopback) | leases | leases/s | lease requests/s | p50 | p99 | double assignments | calls attributed | requests lost to a dead process |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
rows.forEach((row) => console.log(row));
process.exit(failed ? 1 : 0);
