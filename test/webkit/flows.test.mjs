// The flows that matter most, in WebKit (WebKitGTK, the Safari engine) over WebDriver, against the built pool server
// and the built script: the three ways in, the swap corpus, lease + heartbeat + tabs, consent, click-to-call, the
// pool down. The same pages as the Playwright suite (test/e2e/pages), served by the pool server on one origin.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { By } from 'selenium-webdriver';
import { ADMIN_TOKEN, startPoolServer } from '../servers.mjs';
import { available, startWebKit } from './webkit.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = !available() && !process.env.CI ? 'WebKitGTK, its WebDriver or Xvfb is not installed (.ci/run installs them)' : false;
const PAID = 'utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=webkit-click';
const ORIGINAL = 'Call us on 020 7946 0018';
const STATIC = 'Call us on 020 7946 0100';
const POOLED = /^Call us on 020 7946 07\d\d$/;

let webkit;
let pool;
before(async () => {
  if (skip) return;
  pool = await startPoolServer({ CONFIG: 'test/e2e/pool.config.json', STATIC: `/=${root}` });
  webkit = await startWebKit();
});
after(async () => {
  await webkit?.stop();
  pool?.stop();
});

const page = (path) => `${pool.base}/test/e2e/pages/${path}`;
const text = (browser, id = 'n') => browser.findElement(By.id(id)).getText();
/** Waits until the element's text matches. */
const until = async (browser, pattern, id = 'n', timeout = 10_000) => {
  await browser.wait(async () => pattern.test(await text(browser, id).catch(() => '')), timeout, `#${id} never matched ${pattern}`);
  return text(browser, id);
};
const status = (browser) => browser.executeScript('return window.callswap.status()');
const stats = async () => (await fetch(`${pool.base}/v1/stats?site=e2e`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();

test('the three ways in (script tag, queued init, the GTM template\'s injected script): a pool number, the same one at once on the next page view', { skip }, async () => {
  for (const [mode, extra] of [['script', ''], ['stub', ''], ['gtm', '&script=self']]) {
    const browser = await webkit.session();
    await browser.get(page(`init-${mode}.html?${PAID}${extra}`));
    const number = await until(browser, POOLED);
    assert.match(await browser.findElement(By.id('call')).getAttribute('href'), /^tel:\+4420794607\d\d$/);
    const { session } = (await status(browser)).lease;
    // The next page view (direct): the stored lease, swapped before the first frame, no new lease.
    await browser.get(page(`init-${mode}.html?frames${extra}`));
    assert.equal(await until(browser, POOLED), number, mode);
    const frames = await browser.executeScript('return window.frames_');
    assert.ok(frames.length > 0, mode);
    // A GTM tag fires after the container loaded: the page may paint first (the README says so).
    if (mode != 'gtm') assert.deepEqual(frames.filter((f) => f == ORIGINAL), [], mode);
    assert.equal((await status(browser)).lease.session, session, mode);
  }
});

test('the real-world swap corpus through the built script tag: every snippet swapped and restored exactly', { skip }, async () => {
  const browser = await webkit.session();
  await browser.get(page('corpus.html'));
  const results = await browser.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    import('/test/fixtures/corpus.js').then(({ CORPUS, trackingFor }) => {
      const main = document.querySelector('main');
      done(CORPUS.map(({ id, country, html, swaps, numbers }) => {
        main.innerHTML = html;
        const before = main.innerHTML;
        const handle = window.callswap.swapNumbers(main, trackingFor({ numbers }), { country });
        const count = handle.count;
        handle.restore();
        return { id, count, expected: swaps, restored: main.innerHTML == before };
      }));
    }, (e) => done(String(e)));
  `);
  assert.ok(Array.isArray(results) && results.length >= 120, String(results));
  assert.deepEqual(results.filter((r) => r.count != r.expected || !r.restored), []);
});

test('one lease for the visitor\'s tabs, kept alive by heartbeats', { skip }, async () => {
  const browser = await webkit.session();
  await browser.get(page(`init-stub.html?${PAID}`));
  const number = await until(browser, POOLED);
  const first = await status(browser);
  // A second tab of the same visitor shows the same number without a lease of its own.
  await browser.switchTo().newWindow('tab');
  await browser.get(page('init-stub.html'));
  assert.equal(await until(browser, POOLED), number);
  assert.equal((await status(browser)).lease.session, first.lease.session);
  // A heartbeat (every 10 s in the end-to-end config) moves the lease's expiry on.
  await browser.wait(async () => (await status(browser)).lease.expires > first.lease.expires, 25_000, 'no heartbeat renewed the lease');
});

test('consent required: the static number and nothing stored; granted: a lease; withdrawn: everything deleted, the site\'s number back', { skip }, async () => {
  const browser = await webkit.session();
  await browser.get(page(`init-stub.html?consent=required&${PAID}`));
  await until(browser, new RegExp(`^${STATIC}$`));
  const stored = () => browser.executeScript(`return [document.cookie.includes('_callswap'), Object.keys(localStorage).filter((k) => k.startsWith('_callswap'))]`);
  assert.deepEqual(await stored(), [false, []]);
  assert.equal((await status(browser)).lease, undefined);
  await browser.executeScript('window.grant()');
  await until(browser, POOLED);
  assert.equal((await stored())[0], true);
  const { session } = (await status(browser)).lease;
  await browser.executeScript(`window.callswap('consent', 'denied')`);
  await until(browser, new RegExp(`^${STATIC}$`));
  assert.deepEqual(await stored(), [false, []]);
  assert.equal((await status(browser)).lease, undefined);
  // Released at the pool: the session ended (a heartbeat for it is 410).
  const beat = () => fetch(`${pool.base}/v1/sessions/${session}/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"page":"/","visible":true}' });
  for (let i = 0; i < 50 && (await beat()).status == 200; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await beat()).status, 410);
  // And the pool's own cookie is gone with it (the release's answer clears it).
  assert.deepEqual((await browser.manage().getCookies()).filter((c) => c.name.startsWith('_callswap')), []);
});

test('click-to-call: a tap on the tracking number is heard, pushed to the dataLayer and counted by the pool', { skip }, async () => {
  const browser = await webkit.session();
  await browser.get(page(`init-stub.html?${PAID}`));
  const number = await until(browser, POOLED);
  const before = (await stats()).clicks.paid_search ?? 0;
  await browser.executeScript(`
    window.dataLayer = [];
    window.clicks = [];
    window.callswap('on', 'click', (e) => window.clicks.push(e));
    document.getElementById('call').addEventListener('click', (e) => e.preventDefault());
  `);
  await browser.findElement(By.id('call')).click();
  await browser.wait(async () => (await browser.executeScript('return window.clicks.length')) > 0, 5000, 'no click event');
  const tracking = `+44${number.replace(/\D/g, '').slice(1)}`;
  assert.deepEqual(await browser.executeScript('return window.clicks'), [{ number: tracking, target: '+442079460018', kind: 'tel' }]);
  assert.deepEqual(await browser.executeScript(`return window.dataLayer.filter((e) => e.event == 'callswap.click').map((e) => e.callswap.number)`), [tracking]);
  for (let i = 0; i < 50 && ((await stats()).clicks.paid_search ?? 0) <= before; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(((await stats()).clicks.paid_search ?? 0) > before, 'the pool counted no click');
});

test('the pool down: the static number, in time; and no static number where none is configured', { skip }, async () => {
  const browser = await webkit.session();
  await browser.get(page(`hostile.html?pool=${encodeURIComponent('http://127.0.0.1:1/v1')}&${PAID}`));
  await until(browser, new RegExp(`^${STATIC}$`));
  const seen = await browser.executeScript('return window.seen');
  assert.equal(seen.errors[0].code, 'network');
  assert.equal(await browser.findElement(By.id('call')).getAttribute('href'), 'tel:+442079460100');
  // A direct visitor (another browser) has no static number here: the site's own stays.
  const direct = await webkit.session();
  await direct.get(page(`hostile.html?pool=${encodeURIComponent('http://127.0.0.1:2/v1')}`));
  await direct.wait(async () => (await direct.executeScript('return window.seen.errors.length')) > 0, 10_000);
  assert.equal(await text(direct), ORIGINAL);
});

test('Safari\'s storage limits: with the page\'s own storage cleared, the pool\'s first-party cookie keeps the visit on its ad', { skip }, async () => {
  const browser = await webkit.session();
  await browser.get(page(`init-stub.html?${PAID}`));
  await until(browser, POOLED);
  const cookies = await browser.manage().getCookies();
  const own = cookies.find((c) => c.name == '_callswap_id');
  assert.ok(own, 'the pool set its cookie');
  assert.equal(own.httpOnly, true);
  // What WebKit's tracking prevention deletes after 7 days: everything scripts stored (the visit cookie, the lease,
  // the visitor id). The server's cookie stays.
  await browser.executeScript(`
    localStorage.clear();
    sessionStorage.clear();
    document.cookie = '_callswap=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  `);
  assert.deepEqual((await browser.manage().getCookies()).map((c) => c.name), ['_callswap_id']);
  // The visitor comes back directly: the page sees a direct visit, the pool attributes it to the ad.
  await browser.get(page('init-stub.html'));
  const number = await until(browser, POOLED);
  assert.equal((await status(browser)).source.channel, 'direct');
  const to = `+44${number.replace(/\D/g, '').slice(1)}`;
  const call = await (await fetch(`${pool.base}/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ to }) })).json();
  assert.deepEqual([call.source.channel, call.source.campaign, call.source.clickIds.gclid], ['paid_search', 'spring', 'webkit-click']);
});
