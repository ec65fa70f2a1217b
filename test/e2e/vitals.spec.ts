import { expect, test } from '@playwright/test';
import { ADMIN_TOKEN, poolPort } from './playwright.config';

test.use({ baseURL: `http://127.0.0.1:${poolPort}` });

/**
 * The metrics each engine measures (web-vitals reports what the browser's PerformanceObserver gives it): Chromium
 * all three; Firefox has no layout-shift entries, so no CLS. The README names the difference.
 */
const REPORTED: Record<string, string[]> = { chromium: ['CLS', 'INP', 'LCP'], firefox: ['INP', 'LCP'] };

test('callswap/vitals sends the Core Web Vitals of a leased visit to the pool', async ({ page, browserName }) => {
  const counts = async (): Promise<Record<string, number>> => {
    const stats = await (await page.request.get('/v1/stats?site=e2e', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    return Object.fromEntries(Object.entries(stats.vitals as Record<string, { count: number }>).map(([name, v]) => [name, v.count]));
  };
  const before = await counts();
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
  // What the pool received (request bodies are not readable over WebDriver BiDi): each metric this engine measures,
  // and none it does not.
  const reported = async () => Object.entries(await counts()).filter(([name, n]) => n > (before[name] ?? 0)).map(([name]) => name).sort();
  await expect.poll(reported).toEqual(REPORTED[browserName]);
  await page.waitForTimeout(300);
  expect(await reported()).toEqual(REPORTED[browserName]);
});
