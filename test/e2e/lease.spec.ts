import { expect, test } from '@playwright/test';
import { ADMIN_TOKEN, poolPort } from './playwright.config';

// Several tabs of one visitor against the pool server (heartbeat: 10 s in test/e2e/pool.config.json).
test.use({ baseURL: `http://127.0.0.1:${poolPort}` });

test('tabs of one visitor share one lease and one heartbeat stream; a revoked lease leaves every tab', async ({ browser }) => {
  test.setTimeout(60_000);
  const context = await browser.newContext();
  const requests: string[] = [];
  context.on('request', (r) => r.method() == 'POST' && requests.push(new URL(r.url()).pathname));
  // Opened one after another (Firefox's BiDi fails creating tabs in parallel); they load at once below.
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await context.newPage());
  // All three open at once and, the pool being slow, each starts the visitor session itself before any lease is
  // stored: the Web Lock lets one tab lease while the others wait, and all take that lease.
  await context.route('**/v1/sessions', (route) => setTimeout(() => route.continue(), 500));
  await Promise.all(tabs.map((tab) => tab.goto('/test/e2e/pages/init-stub.html?utm_source=partner&utm_medium=referral')));
  await Promise.all(tabs.map((tab) => expect(tab.locator('#n')).toHaveText(/Call us on 020 7946 08\d\d$/)));
  await context.unroute('**/v1/sessions');
  const numbers = await Promise.all(tabs.map((tab) => tab.locator('#n').textContent()));
  expect(new Set(numbers).size).toBe(1);
  expect(requests.filter((p) => p == '/v1/sessions')).toHaveLength(1);

  // Over 15 s one stream of heartbeats (one or two at a 10 s interval), not one per tab.
  await tabs[0].waitForTimeout(15_000);
  const beats = requests.filter((p) => p.endsWith('/heartbeat'));
  expect(beats.length).toBeGreaterThanOrEqual(1);
  expect(beats.length).toBeLessThanOrEqual(2);

  // The pool revokes the lease (410) and has no new number; this channel has no static number: every tab shows
  // the site's own number again.
  await context.route('**/heartbeat', (route) => route.fulfill({ status: 410, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' }, body: '{"error":"gone"}' }));
  await context.route('**/v1/sessions', (route) => route.fulfill({ status: 503, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' }, body: '{"error":"unavailable"}' }));
  await Promise.all(tabs.map((tab) => expect(tab.locator('#n')).toHaveText('Call us on 020 7946 0018', { timeout: 15_000 })));
  await Promise.all(tabs.map((tab) => expect(tab.locator('#call')).toHaveAttribute('href', 'tel:+442079460018')));
  await context.close();
});

test('a new ad click in a new tab starts a new session; the tab already open shows its number too', async ({ browser }) => {
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto('/test/e2e/pages/init-stub.html?utm_source=partner&utm_medium=referral');
  await expect(first.locator('#n')).toHaveText(/Call us on 020 7946 08\d\d$/);
  const before = await first.locator('#n').textContent();
  const second = await context.newPage();
  await second.goto('/test/e2e/pages/init-stub.html?utm_source=newsletter&utm_medium=email&utm_campaign=spring');
  await expect(second.locator('#n')).toHaveText(/Call us on 020 7946 08\d\d$/);
  const after = await second.locator('#n').textContent();
  expect(after).not.toBe(before);
  await expect(first.locator('#n')).toHaveText(after!);
  await context.close();
});

test('a site number missing from a page is reported to the pool once the page settled', async ({ page, browserName }) => {
  // Request bodies are readable in Chromium (over CDP), not over WebDriver BiDi: there, the pool's records tell.
  const events: { type: string; targets?: string[] }[] = [];
  page.on('request', (r) => r.url().endsWith('/events') && events.push(JSON.parse(r.postData() || '{}')));
  const path = `/test/e2e/pages/missing.html`;
  await page.goto(`${path}?utm_source=partner&utm_medium=referral&engine=${browserName}`);
  await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 08\d\d/);
  if (browserName == 'chromium') {
    await expect.poll(() => events.filter((e) => e.type == 'missing_target'), { timeout: 8000 }).toEqual([{ type: 'missing_target', page: path, targets: ['+442079460555'] }]);
  }
  await expect
    .poll(async () => (await (await page.request.get('/v1/stats?site=e2e', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()).missingTargets[path], { timeout: 8000 })
    .toEqual(['+442079460555']);
});

test('SPA navigation keeps the session and the lease; new views are swapped', async ({ page }) => {
  const leases: string[] = [];
  page.on('request', (r) => r.method() == 'POST' && r.url().endsWith('/v1/sessions') && leases.push(r.url()));
  await page.goto('/test/e2e/pages/init-stub.html?utm_source=partner&utm_medium=referral');
  await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 08\d\d/);
  const number = await page.locator('#n').textContent();
  for (let i = 0; i < 5; i++) {
    await page.evaluate((i) => {
      history.pushState({}, '', `/app/view-${i}`);
      document.getElementById('n')!.remove();
      const p = document.createElement('p');
      p.id = 'n';
      p.innerHTML = `Call us on <b>020</b> 7946 0018`;
      document.body.append(p);
    }, i);
    await expect(page.locator('#n')).toHaveText(number!);
  }
  expect(leases).toHaveLength(1);
});

test('the visit cookie goes on the registrable domain, found by test-writing (not on the public suffix)', async ({ context, page }) => {
  await page.goto(`http://shop.example.co.uk:${poolPort}/test/e2e/pages/init-stub.html?utm_source=google&utm_medium=cpc`);
  await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 07\d\d$/);
  const cookies = await context.cookies();
  // The SDK's visit cookie on the registrable domain; the pool's own (this pool is on the page's origin) host-only.
  expect(cookies.filter((c) => c.name.startsWith('_callswap')).map((c) => [c.name, c.domain, c.sameSite, c.httpOnly]).sort()).toEqual([
    ['_callswap', '.example.co.uk', 'Lax', false],
    ['_callswap_id', 'shop.example.co.uk', 'Lax', true],
  ]);
});
