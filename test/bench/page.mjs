// Browser benchmarks against the pool server (real Chromium, loopback, bounded): time to swap, Core Web
// Vitals with and without callswap, requests per visitor, memory after SPA route changes, clicks. Needs `npm run build` and `npm run build:server`. Prints tables.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPoolServer } from '../servers.mjs';
import { launch, median } from './browser.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TABS_SECONDS = Number(process.env.BENCH_TABS_SECONDS || 300);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The pool server with the demo's and the tests' sites (heartbeat 10 s), serving the demo site at / and the repository behind it. */
export const startPool = async () => {
  const read = (path) => JSON.parse(readFileSync(root + path, 'utf8'));
  // The tests' site has its own tracking numbers (07xx, 08xx): one number stands for one site number.
  const config = read('test/e2e/pool.config.json');
  config.sites = { ...read('examples/site/demo.config.json').sites, ...config.sites };
  const file = join(mkdtempSync(join(tmpdir(), 'callswap-bench-')), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return startPoolServer({ CONFIG: file, STATIC: `/=${root}examples/site,/=${root}` });
};

/**
 * Lease response → swapped DOM on first visits (median of 5, each in a fresh context: one sample swings with the
 * machine's load); painted frames with the original number for a returning visitor.
 */
async function timeToSwap(browser, base) {
  const visit = async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      window.frames_ = [];
      const sample = () => {
        const n = document.getElementById('n');
        if (n) window.frames_.push(n.textContent);
        requestAnimationFrame(sample);
      };
      requestAnimationFrame(sample);
      // When the number changed, by the page's clock.
      new MutationObserver(() => {
        const n = document.getElementById('n');
        if (n && !n.textContent.includes('0018') && !window.swappedAt) window.swappedAt = performance.now();
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    // The pool answers 50 ms late.
    await context.route('**/v1/sessions', async (route) => {
      await sleep(50);
      await route.continue();
    });
    const page = await context.newPage();
    await page.goto(`${base}/test/e2e/pages/init-script.html?utm_source=partner&utm_medium=referral`);
    await page.waitForFunction(() => window.swappedAt);
    const ms = await page.evaluate(() => {
      const lease = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/v1/sessions'));
      return window.swappedAt - lease.responseEnd;
    });
    return { context, page, ms };
  };
  const first = [];
  for (let i = 0; i < 4; i++) {
    const { context, ms } = await visit();
    first.push(ms);
    await context.close();
  }
  const { context, page, ms } = await visit();
  first.push(ms);
  const returning = [];
  for (let i = 0; i < 5; i++) {
    await page.reload();
    await page.waitForTimeout(300);
    returning.push(await page.evaluate(() => window.frames_.filter((f) => f.includes('0018')).length));
  }
  await context.close();
  return [
    { name: 'first visit, pool 50 ms late: lease response → swapped DOM (median of 5)', value: `${median(first).toFixed(1)} ms` },
    { name: 'returning visitor: frames painted with the original number (5 reloads)', value: String(returning.reduce((a, b) => a + b, 0)), goal: '0' },
  ];
}

/** The demo page's CLS, LCP and INP with and without callswap (the script answered empty), medians of 5. */
async function vitals(browser, base) {
  const measure = async (withCallswap) => {
    const context = await browser.newContext();
    if (!withCallswap) await context.route('**/dist/callswap.min.js', (route) => route.fulfill({ contentType: 'text/javascript', body: '' }));
    // Init scripts run wrapped, so the IIFE's `var webVitals` must be made global by hand.
    await context.addInitScript({ content: readFileSync(`${root}node_modules/web-vitals/dist/web-vitals.iife.js`, 'utf8') + '\nwindow.webVitals = webVitals;' });
    await context.addInitScript(() => {
      window.vitals_ = {};
      addEventListener('DOMContentLoaded', () => ['onCLS', 'onLCP', 'onINP'].forEach((on) => webVitals[on]((m) => (window.vitals_[m.name] = m.value), { reportAllChanges: true })));
    });
    const page = await context.newPage();
    await page.goto(`${base}/?utm_source=google&utm_medium=cpc&gclid=bench`);
    await page.waitForTimeout(1500);
    await page.click('h1');
    await page.waitForTimeout(500);
    const result = await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
      return window.vitals_;
    });
    await context.close();
    return result;
  };
  const runs = { with: [], without: [] };
  for (let i = 0; i < 5; i++) {
    runs.without.push(await measure(false));
    runs.with.push(await measure(true));
  }
  const m = (list, name) => median(list.map((v) => v[name] ?? 0));
  return ['CLS', 'LCP', 'INP'].map((name) => ({
    name: `demo page ${name} without / with callswap (median of 5)`,
    value: name == 'CLS' ? `${m(runs.without, name).toFixed(3)} / ${m(runs.with, name).toFixed(3)}` : `${m(runs.without, name).toFixed(0)} / ${m(runs.with, name).toFixed(0)} ms`,
  }));
}

/** Requests one visitor makes to the pool over 10 page views, and heartbeats with 5 tabs open. */
async function network(browser, base) {
  const context = await browser.newContext();
  const requests = [];
  context.on('request', (r) => r.url().includes('/v1/') && requests.push(new URL(r.url()).pathname.replace(/sessions\/[^/]+/, 'sessions/…')));
  const page = await context.newPage();
  const pages = ['/?utm_source=google&utm_medium=cpc&gclid=net', '/services.html', '/emergency.html', '/', '/services.html', '/', '/emergency.html', '/services.html', '/', '/services.html'];
  for (const path of pages) {
    await page.goto(base + path);
    await page.waitForTimeout(200);
  }
  await page.goto('about:blank');
  const count = (path) => requests.filter((r) => r.endsWith(path)).length;
  const tenViews = `${requests.length} (${count('/sessions')} lease, ${count('/heartbeat')} heartbeats, ${count('/events')} events)`;
  await context.close();

  const tabs = await browser.newContext();
  let beats = 0;
  tabs.on('request', (r) => r.url().endsWith('/heartbeat') && beats++);
  const open = await Promise.all([0, 1, 2, 3, 4].map(() => tabs.newPage()));
  await Promise.all(open.map((tab) => tab.goto(`${base}/test/e2e/pages/init-stub.html?utm_source=partner&utm_medium=referral`)));
  await sleep(TABS_SECONDS * 1000);
  await tabs.close();
  return [
    { name: 'requests to the pool, one visitor, 10 page views', value: tenViews },
    { name: `heartbeats with 5 tabs open for ${TABS_SECONDS} s (heartbeat 10 s)`, value: String(beats), goal: `≈ ${Math.floor(TABS_SECONDS / 10)} (one stream)` },
  ];
}

/** JS heap after 1,000 SPA route changes with observe on (each renders content with the number). */
async function memory(browser, base) {
  const page = await browser.newPage();
  await page.goto(`${base}/test/e2e/pages/init-stub.html?utm_source=partner&utm_medium=referral`);
  await page.waitForFunction(() => !document.getElementById('n').textContent.includes('0018'));
  const result = await page.evaluate(async () => {
    const heap = () => (gc(), performance.memory.usedJSHeapSize);
    const main = document.body;
    const route = (i) => {
      history.pushState({}, '', `/route/${i}`);
      const view = document.createElement('main');
      view.innerHTML = `<h2>Page ${i}</h2><p>Call <b>020</b> 7946 0018 or <a href="tel:+442079460018">tap</a></p>`;
      main.querySelector('main')?.remove();
      main.append(view);
    };
    for (let i = 0; i < 50; i++) route(i);
    await new Promise((r) => setTimeout(r, 50));
    const before = heap();
    for (let i = 0; i < 1000; i++) {
      route(i);
      if (i % 50 == 0) await new Promise((r) => setTimeout(r, 0));
    }
    await new Promise((r) => setTimeout(r, 50));
    const swapped = document.querySelector('main p').textContent;
    return { growth: heap() - before, swapped };
  });
  await page.close();
  return [
    { name: 'JS heap growth over 1,000 SPA route changes (observe on)', value: `${(result.growth / 1024).toFixed(0)} KiB` },
    { name: 'number on the last route', value: result.swapped },
  ];
}

/**
 * The click-to-call listener on clicks elsewhere: 10,000 clicks on ordinary links (in 1,000 links' markup) in one
 * page, alternately with callswap running and destroyed (its listener gone), in 9 pairs after warm-up passes;
 * each measure the fastest of four passes. One page, so both sides share its JIT state.
 */
export async function clicks(browser, base) {
  const page = await browser.newPage();
  await page.goto(`${base}/test/e2e/pages/init-stub.html?utm_source=google&utm_medium=cpc`);
  await page.waitForFunction(() => !document.getElementById('n').textContent.includes('0018'));
  await page.evaluate(() => {
    const nav = document.createElement('nav');
    nav.innerHTML = Array.from({ length: 1000 }, (_, i) => `<a href="/products/${i}"><span>Product ${i}</span></a>`).join(' ');
    document.body.append(nav);
    // The page's own handler keeps the clicks from navigating.
    nav.addEventListener('click', (e) => e.preventDefault());
    const spans = nav.querySelectorAll('span');
    window.clickPass = () => {
      const started = performance.now();
      for (let i = 0; i < 10_000; i++) spans[(i * 7919) % spans.length].dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      return performance.now() - started;
    };
    for (let i = 0; i < 4; i++) window.clickPass();
  });
  const measure = () => page.evaluate(() => Math.min(window.clickPass(), window.clickPass(), window.clickPass(), window.clickPass()));
  const on = async (running) => {
    if (running) {
      await page.evaluate(() => window.callswap('init', { site: 'e2e', endpoint: '/v1', numbers: ['+44 20 7946 0018'] }));
      await page.waitForFunction(() => !document.getElementById('n').textContent.includes('0018'));
    } else await page.evaluate(() => window.callswap('destroy'));
  };
  // Pairs measured back to back, the order turning each round (with → without, then without → with): the machine's
  // drift falls on both sides of a pair, and the per-click figure is the median of the pairs' differences.
  const withIt = [];
  const without = [];
  let running = true;
  for (let i = 0; i < 9; i++) {
    (running ? withIt : without).push(await measure());
    await on((running = !running));
    (running ? withIt : without).push(await measure());
  }
  await page.close();
  const differences = withIt.map((ms, i) => ((ms - without[i]) / 10_000) * 1000);
  return [
    { name: '10,000 clicks on ordinary links without / with callswap (medians of 9)', value: `${median(without).toFixed(1)} / ${median(withIt).toFixed(1)} ms` },
    {
      name: 'the click listener per click elsewhere (median of 9 pairs; the pairs)',
      value: `${median(differences).toFixed(2)} µs (${[...differences].sort((x, y) => x - y).map((d) => d.toFixed(1)).join(', ')})`,
      goal: 'nothing measurable',
    },
  ];
}

export async function benchPage() {
  const pool = await startPool();
  const browser = await launch();
  try {
    return [
      ...(await timeToSwap(browser, pool.base)),
      ...(await vitals(browser, pool.base)),
      ...(await network(browser, pool.base)),
      ...(await memory(browser, pool.base)),
      ...(await clicks(browser, pool.base)),
    ];
  } finally {
    await browser.close();
    pool.stop();
  }
}

if (import.meta.url == `file://${process.argv[1]}`) {
  console.log('| in the browser | measured | goal |\n| --- | ---: | ---: |');
  for (const r of await benchPage()) console.log(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);
}
