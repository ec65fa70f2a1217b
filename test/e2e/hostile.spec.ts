import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { ADMIN_TOKEN, poolPort } from './playwright.config';

// The built script tag in real Chromium against a hostile pool on loopback: each case must leave the page unharmed
// (no page error, no unhandled rejection, no long task of 200 ms), give up in time, cost at most three requests a
// page view, and show the site's own (or static) number. Then the privacy promises: GPC, cookies, Referer, consent
// across tabs; and host pages that break what they can.
test.use({ baseURL: `http://127.0.0.1:${poolPort}` });

const TIMEOUT = 1000;
const ORIGINAL = 'Call us on 020 7946 0018';
const STATIC = 'Call us on 020 7946 0100';
const PAID = 'utm_source=google&utm_medium=cpc&gclid=SECRETCLICK&msclkid=MSSECRET';

/** 1 MB of gzip that inflates to 1 GiB of zeros, made once. */
let bomb: Buffer | undefined;
const makeBomb = async () => {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (d) => out.push(d));
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < 1024; i++) if (!gzip.write(chunk)) await new Promise((r) => gzip.once('drain', r));
  gzip.end();
  await new Promise((r) => gzip.on('end', r));
  return Buffer.concat(out);
};

type Seen = { mode: string; method: string; path: string; cookie?: string; referer?: string; body: string };
let server: Server;
let hostile = '';
const seen: Seen[] = [];

/** How the hostile pool answers a lease, by the first path segment. */
const MODES: Record<string, (res: import('node:http').ServerResponse, req: IncomingMessage) => void> = {
  bomb: (res) => res.writeHead(201, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb!.length }).end(bomb),
  slow: () => undefined,
  redirect: (res, req) => res.writeHead(307, { location: req.url! }).end(),
  huge: (res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': 50_000_000 });
    const pump = () => res.write(' '.repeat(65_536)) && !res.destroyed && setImmediate(pump);
    res.on('drain', pump);
    pump();
  },
  // A body that never ends, without a Content-Length, at 2 MB/s (8 KB every 4 ms, a fast link's pace): callswap must
  // stop reading at 16 KB. Not a loopback flood: pumped as fast as this process can write, Chromium spends one task
  // of 40–110 ms taking in what piled up when the page reads the body's first bytes (measured without DevTools;
  // 60–400 ms with Playwright's attached), whoever reads them, and a remote pool cannot send faster than the link.
  endless: (res) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write('['.repeat(8192)), 4);
    res.on('close', () => clearInterval(timer));
  },
  retry: (res) => res.writeHead(429, { 'retry-after': '99999999999999999999', 'content-type': 'application/json' }).end('{"error":"rate_limited"}'),
  garbage: (res) =>
    res
      .writeHead(201, { 'content-type': 'application/json' })
      .end('{"session":"<img src=x onerror=alert(1)>","numbers":{"+442079460018":"<b>020</b>"},"ttl":"1800","heartbeat":-1}'),
  wrong: (res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"session":"session-123456","numbers":{"+15555550123":"+15555550199"},"ttl":1800,"heartbeat":60}'),
  notjson: (res) => res.writeHead(201, { 'content-type': 'application/json' }).end('<html>hello</html>'),
  down: (res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('down'),
  notfound: (res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'),
};

test.beforeAll(async () => {
  bomb = await makeBomb();
  server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'content-type');
    res.setHeader('access-control-allow-methods', 'POST, DELETE');
    if (req.method == 'OPTIONS') return void res.writeHead(204).end();
    const [, mode = '', ...rest] = req.url!.split('/');
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ mode, method: req.method!, path: '/' + rest.join('/'), cookie: req.headers.cookie, referer: req.headers.referer, body });
      if (req.method == 'POST' && rest.join('/') == 'v1/sessions') MODES[mode](res, req);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hostile = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** A visitor's browser that records page errors, unhandled rejections, warnings and long tasks. */
const visitor = async (context: BrowserContext) => {
  await context.addInitScript(() => {
    const w = window as unknown as { rejections: string[]; longest: number };
    w.rejections = [];
    w.longest = 0;
    addEventListener('unhandledrejection', (e) => w.rejections.push(String(e.reason)));
    if (PerformanceObserver.supportedEntryTypes.includes('longtask')) {
      new PerformanceObserver((list) => list.getEntries().forEach((e) => (w.longest = Math.max(w.longest, e.duration)))).observe({ type: 'longtask', buffered: true });
    } else {
      // No long task API (Firefox, WebKit): a timer every 10 ms, and how late it comes, is the longest task.
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        w.longest = Math.max(w.longest, now - last - 10);
        last = now;
      }, 10);
    }
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const warnings: string[] = [];
  page.on('console', (m) => m.type() == 'warning' && warnings.push(m.text()));
  return { page, problems, warnings };
};
const state = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { rejections: string[]; longest: number; seen: { errors: { code: string; at: number }[] }; startedAt: number };
    return { rejections: w.rejections, longest: w.longest, errors: w.seen?.errors ?? [], startedAt: w.startedAt };
  });

for (const [mode, expectCode] of [
  ['bomb', 'invalid_response'],
  ['slow', 'timeout'],
  ['redirect', 'network'],
  ['huge', 'invalid_response'],
  ['endless', 'invalid_response'],
  ['retry', 'rate_limited'],
  ['garbage', 'invalid_response'],
  ['wrong', 'invalid_response'],
  ['notjson', 'invalid_response'],
  ['down', 'unavailable'],
  ['notfound', 'not_found'],
] as const) {
  test(`a pool that answers "${mode}": the static number, in time, no harm, at most 3 requests a page view`, async ({ browser }) => {
    const context = await browser.newContext();
    const { page, problems } = await visitor(context);
    const before = seen.filter((s) => s.mode == mode).length;
    await page.goto(`/test/e2e/pages/hostile.html?pool=${encodeURIComponent(`${hostile}/${mode}/v1`)}&${PAID}`);
    await expect.poll(async () => (await state(page)).errors.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { errors, rejections, longest, startedAt } = await state(page);
    expect(errors[0].code).toBe(expectCode);
    // Given up within the timeout (per attempt) and a second, retries with their backoff included.
    expect(errors[0].at - startedAt).toBeLessThan((mode == 'slow' ? 3 * TIMEOUT + 1500 : TIMEOUT) + 1000);
    await expect(page.locator('#n')).toHaveText(STATIC);
    await expect(page.locator('#call')).toHaveAttribute('href', 'tel:+442079460100');
    // A reload in this visit asks the failing pool nothing more.
    await page.reload();
    await expect(page.locator('#n')).toHaveText(STATIC);
    await page.waitForTimeout(300);
    expect(seen.filter((s) => s.mode == mode).length - before).toBeLessThanOrEqual(3);
    expect(seen.filter((s) => s.mode == mode).every((s) => !s.cookie && !s.referer)).toBe(true);
    expect(rejections).toEqual([]);
    expect(problems).toEqual([]);
    expect(longest).toBeLessThan(200);
    await context.close();
  });
}

test('Global Privacy Control: no click id stored or sent, no Referer, no cookie reaches the pool', async ({ browser, browserName }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  await context.addCookies([{ name: 'site_session', value: 'PAGECOOKIE', url: `http://127.0.0.1:${poolPort}` }]);
  const requests: { url: string; headers: Record<string, string>; body: string }[] = [];
  context.on('request', async (r) => r.url().includes('/v1/') && requests.push({ url: r.url(), headers: await r.allHeaders(), body: r.postData() || '' }));
  const { page, problems } = await visitor(context);
  await page.goto(`/test/e2e/pages/hostile.html?${PAID}&page=2`);
  await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 07\d\d/);
  await page.goto(`/test/e2e/pages/hostile.html`);
  await expect.poll(() => requests.filter((r) => r.url.endsWith('/events')).length).toBeGreaterThanOrEqual(2);
  const storage = decodeURIComponent(JSON.stringify(await context.storageState()));
  expect(storage).toContain('_callswap');
  expect(storage).not.toMatch(/SECRETCLICK|MSSECRET|gclid|msclkid/);
  expect(storage).toContain('page=2');
  for (const r of requests) {
    expect(r.headers.cookie, r.url).toBeUndefined();
    expect(r.headers.referer, r.url).toBeUndefined();
    expect(r.body + r.url).not.toMatch(/SECRETCLICK|MSSECRET/);
  }
  // What the pool keeps of the visit (the bodies themselves are not readable over WebDriver BiDi): a call to the
  // number shows the source it was leased with.
  if (browserName == 'chromium') expect(requests.some((r) => r.body.includes('"source"'))).toBe(true);
  const number = await page.evaluate(() => (window as any).callswap.status().lease.numbers['+442079460018']);
  const call = await (await page.request.post('/v1/calls', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, data: { to: number } })).json();
  expect(call.source.channel).toBe('paid_search');
  expect(JSON.stringify(call.source)).not.toMatch(/SECRETCLICK|MSSECRET|gclid|msclkid/);
  expect(problems).toEqual([]);
  await context.close();
});

test('consent is the visitor\'s: withdrawn in one tab, every tab follows within a second and the lease is released', async ({ browser }) => {
  const context = await browser.newContext();
  const requests: string[] = [];
  context.on('request', (r) => r.url().includes('/v1/') && requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  const one = await visitor(context);
  const two = await visitor(context);
  await one.page.goto(`/test/e2e/pages/hostile.html?${PAID}`);
  await expect(one.page.locator('#n')).toHaveText(/Call us on 020 7946 07\d\d/);
  await two.page.goto(`/test/e2e/pages/hostile.html`);
  await expect(two.page.locator('#n')).toHaveText(await one.page.locator('#n').innerText());
  const session = await one.page.evaluate(() => (window as any).callswap.status().lease.session);
  await one.page.evaluate(() => (window as any).callswap('consent', 'denied'));
  const t = Date.now();
  // The other tab came in directly: without consent it shows the site's own number.
  await expect(two.page.locator('#n')).toHaveText(ORIGINAL, { timeout: 1000 });
  expect(Date.now() - t).toBeLessThan(1000);
  await expect.poll(() => requests).toContain(`DELETE /v1/sessions/${session}`);
  // Nothing stored, and nothing more asked or kept alive from either tab, over more than a heartbeat interval.
  const after = requests.length;
  await two.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await one.page.waitForTimeout(11_000);
  expect((await context.storageState()).cookies.filter((c) => c.name.startsWith('_callswap'))).toEqual([]);
  for (const p of [one.page, two.page]) expect(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('_callswap')))).toEqual([]);
  expect(requests.slice(after).filter((r) => /heartbeat|POST \/v1\/sessions$/.test(r))).toEqual([]);
  // Granted again in the other tab: both show the visitor's one pool number again.
  await two.page.evaluate(() => (window as any).callswap('consent', 'granted'));
  await expect(one.page.locator('#n')).toHaveText(/Call us on 020 7946 0[78]\d\d/);
  await expect(two.page.locator('#n')).toHaveText(await one.page.locator('#n').innerText());
  expect([...one.problems, ...two.problems]).toEqual([]);
  await context.close();
});

test.describe('debug badge under Trusted Types', () => {
  const csp = (policies: string) => async (context: BrowserContext) =>
    context.route('**/test/e2e/pages/hostile.html*', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': `require-trusted-types-for 'script'; trusted-types ${policies}` } });
    });

  test('loads through the "callswap" policy where the CSP allows it', async ({ browser }) => {
    const context = await browser.newContext();
    await csp('callswap')(context);
    const { page, problems } = await visitor(context);
    await page.goto(`/test/e2e/pages/hostile.html?${PAID}&callswap_debug=1`);
    const badge = page.locator('[data-callswap-ignore][role=status]');
    await expect(badge).toContainText('endpoint  http://127.0.0.1');
    await expect(badge).toContainText(/\+442079460018 → \+4420794607\d\d \(pool\)/);
    await badge.getByRole('button').click();
    await expect(badge).toHaveCount(0);
    expect(problems).toEqual([]);
    expect((await state(page)).rejections).toEqual([]);
    await context.close();
  });

  test('stays away with one warning where the CSP does not, and the page is unharmed', async ({ browser, browserName }) => {
    const context = await browser.newContext();
    await csp('other')(context);
    const { page, problems, warnings } = await visitor(context);
    await page.goto(`/test/e2e/pages/hostile.html?${PAID}&callswap_debug=1`);
    await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 07\d\d/);
    await expect.poll(() => warnings.filter((w) => w.includes('trusted-types callswap'))).toHaveLength(1);
    await expect(page.locator('[data-callswap-ignore][role=status]')).toHaveCount(0);
    // callswap catches the refusal; Firefox also reports the CSP violation itself as an error of the page (its own
    // report, which no script can prevent: the README names it).
    expect(problems).toEqual(browserName == 'firefox' ? [expect.stringMatching(/^pageerror: The page’s settings blocked creating a Trusted Types policy/)] : []);
    expect((await state(page)).rejections).toEqual([]);
    await context.close();
  });
});

test.describe('host pages', () => {
  test('a page function already at window.callswap is left as it is; callswap stays off and says so once', async ({ browser }) => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      (window as any).callswap = function mine(x: number) {
        return x * 2;
      };
    });
    const { page, problems, warnings } = await visitor(context);
    await page.goto(`/test/e2e/pages/init-script.html?${PAID}`);
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as any).callswap(21))).toBe(42);
    await expect(page.locator('#n')).toHaveText(ORIGINAL);
    expect(warnings).toEqual(['callswap: window.callswap is taken; callswap stays off']);
    expect(problems).toEqual([]);
    await context.close();
  });

  test('an enumerable function on Object.prototype and a throwing document.cookie: it still swaps, without storage', async ({ browser }) => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
       
      (Object.prototype as any).evil = function () {
        throw new Error('called');
      };
      Object.defineProperty(document, 'cookie', {
        get() {
          throw new Error('no cookies here');
        },
        set() {
          throw new Error('no cookies here');
        },
      });
    });
    const { page, problems } = await visitor(context);
    await page.goto(`/test/e2e/pages/hostile.html?${PAID}`);
    await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 07\d\d/);
    expect(problems).toEqual([]);
    expect((await state(page)).rejections).toEqual([]);
    await context.close();
  });

  test('a data-attribute typo and an endpoint without scheme are named in one warning each', async ({ browser }) => {
    const context = await browser.newContext();
    const { page, problems, warnings } = await visitor(context);
    const tag = (attributes: string) => `<!doctype html><script async src="/dist/callswap.min.js" data-site="e2e" data-numbers="+44 20 7946 0018" ${attributes}></script><p id="n">${ORIGINAL}</p>`;
    await page.route('**/typo-*.html', (route) =>
      route.fulfill({ contentType: 'text/html', body: route.request().url().includes('typo-1') ? tag('data-endpiont="/v1" data-cookieconsent="ignore"') : tag('data-endpoint="pool.example.com/v1"') }),
    );
    await page.goto('/typo-1.html');
    await expect.poll(() => warnings.length).toBe(1);
    await page.goto('/typo-2.html');
    await expect.poll(() => warnings.length).toBe(2);
    await expect(page.locator('#n')).toHaveText(ORIGINAL);
    expect(warnings).toContain('callswap: unknown attribute "data-endpiont" (did you mean "data-endpoint"?)');
    expect(warnings.some((w) => /"endpoint" must be a URL \(https:\/\/pool\.example\.com\/v1\) or a path starting with "\/": pool\.example\.com\/v1/.test(w))).toBe(true);
    expect(warnings.join()).not.toContain('cookieconsent');
    expect(problems).toEqual([]);
    await context.close();
  });
});
