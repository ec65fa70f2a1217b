// The dashboard on a busy site's year: 100,000 calls and the counters of 1,000,000 sessions in the built pool
// server's SQLite store. How long the report answers for the first view (24 h) and for 7, 30, 90 and 365 days
// (first and warm), and, in Chromium, how long the dashboard takes to show a year and its longest task meanwhile.
// Run: node test/bench/dashboard.mjs (needs `npm run build:server`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, startPoolServer, tempDataDir } from '../servers.mjs';
import { launch, median } from './browser.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CALLS = Number(process.env.DASHBOARD_CALLS || 100_000);
const SESSIONS = Number(process.env.DASHBOARD_SESSIONS || 1_000_000);
const DAY = 86_400_000;
const TARGET = '+442079460018';
const NUMBERS = Array.from({ length: 20 }, (_, i) => `+4420794601${String(i).padStart(2, '0')}`);
const CHANNELS = ['paid_search', 'organic_search', 'paid_social', 'direct', 'referral', 'email'];
const CAMPAIGNS = Array.from({ length: 40 }, (_, i) => `campaign-${i}`);
const TERMS = Array.from({ length: 200 }, (_, i) => `keyword ${i}`);
/** A fixed pseudo-random sequence: every run seeds the same year. */
const random = (() => {
  let x = 0x2545f491;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
})();
const pick = (list) => list[Math.floor(random() * list.length)];

/** A year of a busy site, written straight into a data directory with the server's own store and counters. */
async function seed() {
  const { openSqliteStore } = await import(join(root, 'server/build/store/sqlite.js'));
  const { counter } = await import(join(root, 'server/build/store/counters.js'));
  const dataDir = tempDataDir();
  const store = openSqliteStore(dataDir);
  const now = Date.now();
  const start = now - 365 * DAY;
  // Sessions as the pool counts them: per hour, per channel, campaign and keyword.
  const hours = 365 * 24;
  for (let h = 0; h < hours; h++) {
    const fields = {};
    const add = (field, n) => (fields[field] = (fields[field] ?? 0) + n);
    for (let s = Math.floor(SESSIONS / hours); s > 0; s -= 10) {
      const channel = pick(CHANNELS);
      add(counter('sessions', channel), Math.min(10, s));
      if (channel.startsWith('paid')) {
        add(counter('campaign', pick(CAMPAIGNS)), Math.min(10, s));
        add(counter('term', pick(TERMS)), Math.min(10, s));
      }
    }
    await store.count('demo', fields, start + h * 3_600_000);
  }
  for (let i = 0; i < CALLS; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(CALLS, i + 1000); j++) {
      const at = start + Math.floor((j / CALLS) * 365 * DAY);
      const channel = pick(CHANNELS);
      const paid = channel.startsWith('paid');
      const answered = random() < 0.7;
      const talk = Math.floor(10 + random() * 300);
      const call = {
        id: `call${j}`,
        to: pick(NUMBERS),
        from: `+4477009${String(Math.floor(random() * 30_000)).padStart(5, '0')}`,
        at: new Date(at).toISOString(),
        site: 'demo',
        target: TARGET,
        session: `session-${j}-0000`,
        source: { channel, source: 'google', medium: paid ? 'cpc' : 'organic', ...(paid && { campaign: pick(CAMPAIGNS), term: pick(TERMS) }), clickIds: paid ? { gclid: `Cj0${j.toString(36)}` } : {}, referrer: '', landingPage: `https://shop.example/services/${j % 50}?utm_source=google` },
        duration: talk + 20,
        status: 'completed',
        dial: answered ? { status: 'completed', duration: talk } : { status: 'no-answer' },
        repeat: random() < 0.3,
      };
      batch.push(store.addCall(call), store.count('demo', { [counter('calls', channel)]: 1 }, at));
    }
    await Promise.all(batch);
  }
  await store.close();
  const config = join(dataDir, 'pool.json');
  writeFileSync(config, JSON.stringify({ retentionDays: 400, sites: { demo: { conversion: { name: 'Phone call', value: 40, currency: 'EUR' }, timeZone: 'Europe/Amsterdam', numbers: { [TARGET]: { pools: { paid_search: NUMBERS.slice(0, 10), default: NUMBERS.slice(10) } } } } } }));
  return { dataDir, config };
}

/** ms until the report of `query` has arrived whole. */
const timed = async (server, query) => {
  const t = performance.now();
  const res = await fetch(`${server.base}/v1/report?site=demo&${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const report = await res.json();
  if (!res.ok) throw new Error(`report ${query}: ${res.status} ${JSON.stringify(report)}`);
  return { ms: performance.now() - t, report };
};

export async function benchDashboard() {
  const { dataDir, config } = await seed();
  const server = await startPoolServer({ CONFIG: config, DATA_DIR: dataDir });
  const rows = [];
  try {
    const first = await timed(server, 'range=24h');
    const warm = [];
    for (let i = 0; i < 5; i++) warm.push((await timed(server, 'range=24h')).ms);
    rows.push({ name: 'report, first view (24 h): first request / warm median', value: `${first.ms.toFixed(0)} / ${median(warm).toFixed(0)} ms`, goal: '< 1,000 ms' });
    for (const range of ['7d', '30d', '90d', '365d']) {
      const once = await timed(server, `range=${range}`);
      const again = await timed(server, `range=${range}`);
      // A report without its data would look fast.
      if (range == '365d' && once.report.totals.calls < CALLS * 0.99) throw new Error(`the year holds ${once.report.totals.calls} calls, not ${CALLS}`);
      rows.push({ name: `report, ${range}: first / second (${once.report.totals.calls.toLocaleString('en')} calls, ${once.report.totals.sessions.toLocaleString('en')} sessions)`, value: `${once.ms.toFixed(0)} / ${again.ms.toFixed(0)} ms`, goal: range == '365d' ? '' : '< 1,000 ms' });
    }

    // The dashboard showing the year, in Chromium: until it is drawn, and the longest task of the page meanwhile.
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.addInitScript((token) => {
        sessionStorage.setItem('callswap-admin-token', token);
        window.longest_ = 0;
        new PerformanceObserver((list) => list.getEntries().forEach((e) => (window.longest_ = Math.max(window.longest_, e.duration)))).observe({ type: 'longtask', buffered: true });
      }, ADMIN_TOKEN);
      const t = performance.now();
      await page.goto(`${server.base}/dashboard/?site=demo&range=365d`);
      await page.waitForSelector('body[data-loaded="demo 365d"]', { timeout: 60_000 });
      const shown = performance.now() - t;
      const longest = await page.evaluate(() => window.longest_);
      rows.push({ name: 'dashboard showing 365 days (Chromium): until drawn / longest task', value: `${shown.toFixed(0)} / ${longest.toFixed(0)} ms`, goal: 'longest task < 200 ms' });
    } finally {
      await browser.close();
    }
  } finally {
    server.stop();
  }
  return rows;
}

if (import.meta.url == `file://${process.argv[1]}`) {
  console.log(`| dashboard (${CALLS.toLocaleString('en')} calls, ${SESSIONS.toLocaleString('en')} sessions, SQLite) | measured | goal |\n| --- | ---: | ---: |`);
  for (const r of await benchDashboard()) console.log(`| ${r.name} | ${r.value} | ${r.goal} |`);
  process.exit(0);
}
