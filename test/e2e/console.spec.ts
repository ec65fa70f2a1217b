import { expect, test } from '@playwright/test';
import { poolPort } from './playwright.config';

// No console message at error level from callswap, on an address, a .com host and a host under a two-label public
// suffix, through consent granted, a returning page view, and consent withdrawn. Firefox logs every cookie it
// refuses (a probe on a public suffix, a removal on a domain the page cannot have) as an error.
for (const host of ['127.0.0.1', 'www.example.com', 'shop.example.co.uk']) {
  test(`${host}: no console error through consent granted, a return and a withdrawal`, async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() == 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const url = `http://${host}:${poolPort}/test/e2e/pages/init-stub.html?consent=required&utm_source=google&utm_medium=cpc&gclid=console-${host}`;
    await page.goto(url);
    await page.evaluate(() => (window as unknown as { grant(): void }).grant());
    await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 07\d\d$/);
    const cookies = (await context.cookies()).filter((c) => c.name == '_callswap');
    expect(cookies.map((c) => c.domain)).toEqual([{ '127.0.0.1': '127.0.0.1', 'www.example.com': '.example.com', 'shop.example.co.uk': '.example.co.uk' }[host]]);
    await page.reload();
    await page.evaluate(() => (window as unknown as { grant(): void }).grant());
    await expect(page.locator('#n')).toHaveText(/Call us on 020 7946 07\d\d$/);
    await page.evaluate(() => (window as unknown as { callswap(...args: unknown[]): void }).callswap('consent', 'denied'));
    await expect(page.locator('#n')).toHaveText('Call us on 020 7946 0100');
    // Live cookies only: Firefox over WebDriver BiDi may still list the pool's cookie a moment after its Max-Age=0
    // removal, expiring now (seen once in CI); an expired cookie is never sent.
    const live = (c: { expires: number }) => c.expires == -1 || c.expires > Date.now() / 1000;
    await expect.poll(async () => (await context.cookies()).filter((c) => c.name.startsWith('_callswap') && live(c))).toEqual([]);
    await page.waitForTimeout(300);
    expect(errors).toEqual([]);
    await context.close();
  });
}
