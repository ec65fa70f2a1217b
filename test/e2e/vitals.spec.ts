import { expect, test } from '@playwright/test';
import { ADMIN_TOKEN, poolPort } from './playwright.config';

test.use({ baseURL: `http://127.0.0.1:${poolPort}` });

test('callswap/vitals sends the Core Web Vitals of a leased visit to the pool', async ({ page }) => {
  const beacons: { type: string; name: string; value: number }[] = [];
  page.on('request', (r) => r.url().endsWith('/events') && beacons.push(JSON.parse(r.postData() || '{}')));
  await page.goto('/test/e2e/pages/vitals.html?utm_source=partner&utm_medium=referral');
  await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 08\d\d/);
  await page.click('#b');
  // The click's event timing reaches observers after the next frame is presented; under load that takes a while.
  await page.waitForFunction(() => (window as unknown as { interactions: number }).interactions > 0);
  // web-vitals takes the entry in an idle callback: give the page an idle moment.
  await page.evaluate(() => new Promise((resolve) => requestIdleCallback(() => setTimeout(resolve, 100), { timeout: 3000 })));
  // Leaving the page (tab hidden) is when web-vitals reports.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await expect.poll(() => beacons.filter((b) => b.type == 'vitals').map((b) => b.name).sort()).toEqual(expect.arrayContaining(['CLS', 'INP', 'LCP']));
  for (const b of beacons.filter((b) => b.type == 'vitals')) expect(typeof b.value).toBe('number');
  const stats = await (await page.request.get('/v1/stats?site=e2e', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
  expect(stats.vitals.LCP.count).toBeGreaterThanOrEqual(1);
});
