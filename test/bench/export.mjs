// The conversion file of 100,000 calls, downloaded from the built pool server (SQLite store) while /health is asked
// every 10 ms: how long the download takes, how long /health waits meanwhile, and how much the server's memory grows.
// Run: node test/bench/export.mjs (needs `npm run build:server`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, startPoolServer, tempDataDir } from '../servers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CALLS = Number(process.env.EXPORT_CALLS || 100_000);
const TARGET = '+442079460018';
const NUMBER = '+442079460101';
/** The talk seconds of call j: 30–149 s, so three in four reach minDuration (60 s). */
const secondsOf = (j) => 30 + (j % 120);
const GRANTED = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };

/** Resident memory of a process (bytes), from /proc. */
const rss = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const percentile = (list, p) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(list.length * p))];

/** One download while /health is polled; memory sampled as it goes. */
const download = async (server) => {
  const pid = server.child.pid;
  const before = rss(pid);
  let peak = before;
  const health = [];
  let going = true;
  const poll = (async () => {
    while (going) {
      const t = performance.now();
      await fetch(`${server.base}/health`);
      health.push(performance.now() - t);
      peak = Math.max(peak, rss(pid));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const t = performance.now();
  const res = await fetch(`${server.base}/v1/conversions.csv?site=demo&minDuration=60`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await res.text();
  const ms = performance.now() - t;
  going = false;
  await poll;
  return { ms, rows: text.split('\r\n').filter(Boolean).length - 1, health: percentile(health, 0.99), growth: Math.max(peak, rss(pid)) - before };
};

export async function benchExport() {
  // The calls are written straight into the data directory with the server's own store, then the server starts on it.
  const { openSqliteStore } = await import(join(root, 'server/build/store/sqlite.js'));
  const dataDir = tempDataDir();
  const store = openSqliteStore(dataDir);
  const start = Date.now() - 60 * 86_400_000;
  const source = { channel: 'paid_search', source: 'google', medium: 'cpc', campaign: 'spring', term: 'plumber', clickIds: {}, referrer: '', landingPage: 'https://shop.example/' };
  for (let i = 0; i < CALLS; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(CALLS, i + 1000); j++) {
      // Answered by the business line (Twilio's <Dial action>) with every consent granted, as a file row needs.
      const seconds = secondsOf(j);
      const call = {
        id: `call${j}`,
        to: NUMBER,
        at: new Date(start + j * 50_000).toISOString(),
        site: 'demo',
        target: TARGET,
        session: `session-${j}-0000`,
        source: { ...source, clickIds: { gclid: `Cj0KCQiA${j.toString(36)}_bench` } },
        duration: seconds + 5,
        status: 'completed',
        dial: { status: 'completed', duration: seconds },
        consent: GRANTED,
      };
      batch.push(store.addCall(call));
    }
    await Promise.all(batch);
  }
  await store.close();
  const config = join(dataDir, 'pool.json');
  writeFileSync(config, JSON.stringify({ sites: { demo: { conversion: { name: 'Phone call', value: 40, currency: 'EUR' }, timeZone: 'Europe/Amsterdam', numbers: { [TARGET]: { pools: { default: [NUMBER] } } } } } }));
  const server = await startPoolServer({ CONFIG: config, DATA_DIR: dataDir }, undefined, { logs: true });
  try {
    const first = await download(server);
    const second = await download(server);
    // A file without its rows would look fast.
    const expected = Array.from({ length: CALLS }, (_, j) => secondsOf(j)).filter((s) => s >= 60).length;
    if (first.rows != expected || second.rows != expected) throw new Error(`the file has ${first.rows} and ${second.rows} rows, not ${expected}`);
    const label = `${CALLS.toLocaleString('en')} calls`;
    return [
      { name: `conversion file of ${label} (SQLite): download, first / second`, value: `${first.ms.toFixed(0)} / ${second.ms.toFixed(0)} ms (${first.rows.toLocaleString('en')} rows)`, goal: '< 2,000 ms' },
      { name: `/health p99 during the download, first / second`, value: `${first.health.toFixed(1)} / ${second.health.toFixed(1)} ms`, goal: '< 100 ms' },
      { name: `server memory growth during the download, first / second`, value: `${(first.growth / 2 ** 20).toFixed(1)} / ${(second.growth / 2 ** 20).toFixed(1)} MB`, goal: '< 50 MB' },
    ];
  } finally {
    server.stop();
  }
}

if (import.meta.url == `file://${process.argv[1]}`) {
  console.log('| export | measured | goal |\n| --- | ---: | ---: |');
  for (const r of await benchExport()) console.log(`| ${r.name} | ${r.value} | ${r.goal} |`);
  process.exit(0);
}
