// Under load, as on a busy phone: two processes that keep both cores busy, and a page whose own scripts run a
// 50 ms task every 100 ms. Measures the swap of a 50,000-element page with 500 numbers until `ready` (callswap and
// findAndReplaceDOMText taking turns, medians of 15), a cold visit's first lease (script start to tracking number
// shown, pool on loopback) and a returning visit (script start to swapped, no network), each quiet and under load.
// Needs `npm run build` and `npm run build:server`. `node test/bench/load.mjs` prints the table.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launch, median } from './browser.mjs';
import { startPool } from './page.mjs';
import { bigPage, FINDS, versus } from './swap.mjs';

const SCRIPT = process.env.CALLSWAP_SCRIPT || fileURLToPath(new URL('../../dist/callswap.min.js', import.meta.url));
const FIND_AND_REPLACE = fileURLToPath(new URL('../../node_modules/findandreplacedomtext/src/findAndReplaceDOMText.js', import.meta.url));
const VISITS = 15;

/** The page's own scripts: a 50 ms task every 100 ms, each kept in `pageTasks_` so its long task is not ours. */
const PAGE_TASKS = () => {
  window.pageTasks_ = [];
  setInterval(() => {
    const start = performance.now();
    while (performance.now() - start < 50);
    window.pageTasks_.push([start, performance.now()]);
  }, 100);
};

/** Two processes that spin until stopped (at most two minutes each, should this one die first). */
const busy = () => {
  const spinners = [0, 1].map(() => spawn(process.execPath, ['-e', 'const end = Date.now() + 120000; while (Date.now() < end);'], { stdio: 'ignore' }));
  const stop = () => spinners.forEach((p) => p.kill('SIGKILL'));
  process.once('exit', stop);
  return stop;
};

/** The swap of the 50,000-element page: callswap and findAndReplaceDOMText in turns, quiet or loaded. */
async function swap(browser, loaded) {
  const page = await browser.newPage();
  await page.setContent(bigPage(true, 10000));
  await page.addScriptTag({ path: SCRIPT });
  await page.addScriptTag({ path: FIND_AND_REPLACE });
  if (loaded) await page.evaluate(PAGE_TASKS);
  const r = await page.evaluate(versus, [FINDS.big, 500]);
  await page.close();
  return { ours: median(r.ours), theirs: median(r.theirs), longest: Math.max(0, ...r.longTasks) };
}

/**
 * Visits of the demo's script-tag page with a paid-search landing: a cold one in a fresh context (script start to
 * the tracking number shown, the lease on loopback), then a reload of it (a returning visitor: the stored lease,
 * swapped without waiting for the network). Script start is when the script's response ended: an async script runs
 * then, unless the main thread is busy, which counts.
 */
async function visits(browser, base, loaded) {
  const cold = [];
  const returning = [];
  const starts = [];
  for (let i = 0; i < VISITS; i++) {
    const context = await browser.newContext();
    if (loaded) await context.addInitScript(PAGE_TASKS);
    await context.addInitScript(() => {
      new MutationObserver(() => {
        const n = document.getElementById('n');
        if (n && /0[17]\d\d$/.test(n.textContent) && !window.shownAt) window.shownAt = performance.now();
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const page = await context.newPage();
    const measure = async () => {
      await page.waitForFunction(() => window.shownAt, null, { timeout: 20000 });
      return page.evaluate(() => window.shownAt - performance.getEntriesByType('resource').find((e) => e.name.includes('/dist/callswap.min.js')).responseEnd);
    };
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    await page.goto(`${base}/test/e2e/pages/init-script.html?utm_source=google&utm_medium=cpc&gclid=load${i}`);
    cold.push(await measure());
    await page.waitForTimeout(300);
    starts.push(Math.max(...ownTasks(await browser.stopTracing())));
    let leases = 0;
    page.on('request', (r) => r.url().endsWith('/v1/sessions') && leases++);
    await page.reload();
    returning.push(await measure());
    if (leases) throw new Error('the returning visit asked for a lease');
    await context.close();
  }
  return { cold: median(cold), returning: median(returning), start: median(starts), startMax: Math.max(...starts) };
}

/**
 * The main thread's tasks (ms) in which callswap's script ran, from a Chromium trace: its evaluation, and the
 * timers, events and messages that called into it. Its start on a cold visit is what a first page view pays:
 * nothing compiled yet, the first cookie and storage reads.
 */
const ownTasks = (trace) => {
  const events = JSON.parse(String(trace)).traceEvents;
  const ours = events.filter((e) => (e.name == 'EvaluateScript' || e.name == 'FunctionCall') && e.args?.data?.url?.includes('/dist/callswap.min.js'));
  return events.filter((t) => t.name == 'RunTask' && ours.some((e) => e.tid == t.tid && e.pid == t.pid && e.ts >= t.ts && e.ts < t.ts + t.dur)).map((t) => t.dur / 1000);
};

export async function benchLoad() {
  const pool = await startPool();
  const browser = await launch();
  const measured = {};
  try {
    for (const loaded of [false, true]) {
      const stop = loaded ? busy() : () => {};
      try {
        measured[loaded ? 'load' : 'quiet'] = { ...(await swap(browser, loaded)), ...(await visits(browser, pool.base, loaded)) };
      } finally {
        stop();
      }
    }
  } finally {
    await browser.close();
    pool.stop();
  }
  const { quiet, load } = measured;
  const ms = (n) => `${n.toFixed(1)} ms`;
  return [
    { name: '50,000 elements, 500 numbers, quiet: callswap until ready / findAndReplaceDOMText (medians of 15)', value: `${ms(quiet.ours)} / ${ms(quiet.theirs)}` },
    { name: 'quiet: ratio callswap / findAndReplaceDOMText', value: `${(quiet.ours / quiet.theirs).toFixed(2)}×`, goal: '≤ 0.8×' },
    { name: 'under load: callswap until ready / findAndReplaceDOMText (medians of 15)', value: `${ms(load.ours)} / ${ms(load.theirs)}`, goal: 'callswap ≤ findAndReplaceDOMText' },
    { name: 'under load: callswap / its own quiet time', value: `${(load.ours / quiet.ours).toFixed(2)}×`, goal: '≤ 2×' },
    { name: "callswap's longest task, quiet / under load", value: `${ms(quiet.longest)} / ${ms(load.longest)}`, goal: 'none > 50 ms' },
    { name: `cold visit, script start → tracking number shown, quiet / under load (medians of ${VISITS})`, value: `${ms(quiet.cold)} / ${ms(load.cold)}` },
    { name: `cold visit, callswap's longest task (its start), quiet: median / most of ${VISITS}`, value: `${ms(quiet.start)} / ${ms(quiet.startMax)}`, goal: 'none > 50 ms' },
    { name: `cold visit, callswap's longest task, under load: median / most of ${VISITS}`, value: `${ms(load.start)} / ${ms(load.startMax)}` },
    { name: `returning visit, script start → swapped, no network, quiet / under load (medians of ${VISITS})`, value: `${ms(quiet.returning)} / ${ms(load.returning)}` },
  ];
}

if (import.meta.url == `file://${process.argv[1]}`) {
  console.log('| under load (Chromium; two busy cores, page tasks of 50 ms every 100 ms) | measured | goal |\n| --- | ---: | ---: |');
  for (const r of await benchLoad()) console.log(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);
}
