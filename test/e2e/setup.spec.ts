import { expect, test, type Page } from '@playwright/test';
import { poolPort } from './playwright.config';

// Setup mistakes, answered where the webmaster looks: the browser's console and callswap.status(). The page is
// served from the static server's origin (127.0.0.1:4173), which the end-to-end pool config does not list for its
// site, and leases from the pool server on another port.
const POOL = `http://127.0.0.1:${poolPort}/v1`;
const ORIGINAL = 'Call us on 020 7946 0018';

/** Opens the static server's tag page with a script tag of these data-attributes; collects warnings and errors. */
const open = async (tab: Page, attributes: Record<string, string>) => {
  const warnings: string[] = [];
  const errors: string[] = [];
  tab.on('console', (m) => (m.type() == 'warning' ? warnings : m.type() == 'error' ? errors : []).push(m.text()));
  tab.on('pageerror', (e) => errors.push(e.message));
  // A page of the webmaster's own (not a fulfilled route: Chromium lets only a page from a real address reach loopback).
  await tab.goto(`/test/e2e/pages/tag.html?utm_source=google&utm_medium=cpc&tag=${encodeURIComponent(JSON.stringify(attributes))}`);
  return { warnings, errors };
};
const NUMBERS = { 'data-numbers': '+44 20 7946 0018' };

const status = (tab: Page) => tab.evaluate(() => (window as unknown as { callswap: { status(): { error?: { code: string; message: string } } } }).callswap.status());

test('an origin the pool does not allow for the site: one warning naming the origin, the site and the field; status says forbidden', async ({ page: tab, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const { warnings, errors } = await open(tab, { 'data-site': 'e2e', 'data-endpoint': POOL, ...NUMBERS });
  await expect.poll(() => warnings).toEqual([`callswap: add ${origin} to "allowedOrigins" of site "e2e" at ${POOL}`]);
  expect((await status(tab)).error?.code).toBe('forbidden');
  await expect(tab.locator('#n')).toHaveText(ORIGINAL);
  // The refusal was readable: the browser reports the 403, not a CORS failure.
  expect(errors.filter((e) => /CORS|Access-Control/i.test(e))).toEqual([]);
  // The next page view does not ask the pool again for 30 s, and still names the mistake (not a "backoff").
  await tab.reload();
  await expect.poll(async () => (await status(tab)).error?.code).toBe('forbidden');
  expect(warnings).toEqual([1, 2].map(() => `callswap: add ${origin} to "allowedOrigins" of site "e2e" at ${POOL}`));
});

test('a site id the pool does not know: one warning naming the id and the endpoint', async ({ page: tab }) => {
  // The pool looks the site up before the origin: the id is what is wrong.
  const { warnings } = await open(tab, { 'data-site': 'e2e-typo', 'data-endpoint': POOL, ...NUMBERS });
  await expect.poll(() => warnings).toEqual([`callswap: ${POOL} has no site "e2e-typo"`]);
  expect((await status(tab)).error?.code).toBe('unknown_site');
  await expect(tab.locator('#n')).toHaveText(ORIGINAL);
});

test('a wrong endpoint path on the pool: status says not_found, not network', async ({ page: tab }) => {
  await open(tab, { 'data-site': 'e2e', 'data-endpoint': `http://127.0.0.1:${poolPort}/api`, ...NUMBERS });
  await expect.poll(async () => (await status(tab)).error?.code).toBe('not_found');
  await expect(tab.locator('#n')).toHaveText(ORIGINAL);
});

test('a script tag without a usable data-site: one warning, and callswap.status() still answers', async ({ page: tab }) => {
  for (const attributes of [{ 'data-endpoint': POOL, ...NUMBERS }, { 'data-site': 'my site!', 'data-endpoint': POOL, ...NUMBERS }]) {
    const { warnings, errors } = await open(tab, attributes);
    await expect.poll(() => warnings).toEqual(['callswap: "site" must be the site id (letters, digits, ".", "-", "_")']);
    const answer = await status(tab);
    expect(answer.error).toEqual({ code: 'config', message: warnings[0] });
    await expect(tab.locator('#n')).toHaveText(ORIGINAL);
    expect(errors).toEqual([]);
    tab.removeAllListeners('console');
  }
});
