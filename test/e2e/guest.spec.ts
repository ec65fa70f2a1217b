import { expect, test, type Page } from '@playwright/test';

/** Collects what the page tells the console and every uncaught error. */
const watch = (page: Page) => {
  const log = { warnings: [] as string[], errors: [] as string[] };
  page.on('console', (m) => (m.type() == 'warning' ? log.warnings : m.type() == 'error' ? log.errors : []).push(m.text()));
  page.on('pageerror', (e) => log.errors.push(e.message));
  return log;
};

test('replays calls queued by the stub before the script arrived, in order', async ({ page }) => {
  const log = watch(page);
  await page.goto('/test/e2e/pages/stub.html');
  await expect(page.locator('#n')).toHaveText('Bel ons: 020 765 4321');
  // The async script may run before the parser reached the number: then the first swap event finds nothing, and a
  // second one comes when the number is shown. Either way both listeners hear each, in the order they were added.
  const seen = await page.evaluate(() => (window as any).seen as unknown[][]);
  expect(seen.map((s) => s[0])).toEqual(seen.length == 4 ? ['swap', 'second listener', 'swap', 'second listener'] : ['swap', 'second listener']);
  expect(seen.slice(-2)).toEqual([
    ['swap', '+31207654321', 1],
    ['second listener', 1],
  ]);
  expect(await page.evaluate(() => typeof (window as any).callswap.version)).toBe('string');
  expect(log).toEqual({ warnings: [], errors: [] });
});

test('loaded twice: the first copy keeps running and nothing runs twice', async ({ page }) => {
  const log = watch(page);
  await page.goto('/test/e2e/pages/twice.html');
  await expect(page.locator('#n')).toHaveText('Bel ons: 020 765 4321');
  const state = await page.evaluate(() => ({ swaps: (window as any).swaps, same: (window as any).firstVersion == (window as any).callswap.version }));
  // One copy's events: the start's, before the body was parsed, and the one when the number was found.
  expect(state).toEqual({ swaps: [0, 1], same: true });
  expect(log).toEqual({ warnings: [], errors: [] });
});

test('concatenated right after a script that lacks its trailing semicolon', async ({ page }) => {
  const log = watch(page);
  await page.goto('/test/e2e/pages/concat.html');
  await expect(page.locator('#n')).toHaveText('Bel ons: 020 765 4321');
  expect(await page.evaluate(() => (window as any).before())).toBe('before');
  expect(log).toEqual({ warnings: [], errors: [] });
});

test('starts by itself from data-attributes and swaps split numbers and links', async ({ page }) => {
  const log = watch(page);
  await page.goto('/test/e2e/pages/attributes.html');
  await expect(page.locator('#call')).toHaveText('020 765 4321');
  await expect(page.locator('#call')).toHaveAttribute('href', 'tel:+31207654321');
  await expect(page.locator('#call span')).toHaveText('020');
  await expect(page.locator('#service')).toHaveText('Service: 088 5454111');
  expect(log).toEqual({ warnings: [], errors: [] });
});

test('a bad config warns once naming the problem and leaves the page as it is', async ({ page }) => {
  const log = watch(page);
  await page.goto('/test/e2e/pages/bad-config.html');
  await expect.poll(() => log.warnings.length).toBe(1);
  expect(log.warnings[0]).toContain('javascript:alert(1)');
  await expect(page.locator('#n')).toHaveText('Bel ons: 020 123 4567');
  expect(log.errors).toEqual([]);
});

test('a stub kept from before the script loaded still works after', async ({ page }) => {
  await page.goto('/test/e2e/pages/stub.html');
  await expect(page.locator('#n')).toHaveText('Bel ons: 020 765 4321');
  await page.evaluate(() => {
    // What the stub did: push its arguments to callswap.q (a GTM tag's createArgumentsQueue function does the same).
    const kept = function (..._args: unknown[]) {
      // eslint-disable-next-line prefer-rest-params
      (window as any).callswap.q.push(arguments);
    };
    kept('destroy');
  });
  await expect(page.locator('#n')).toHaveText('Bel ons: 020 123 4567');
});

test('every API property is on window.callswap', async ({ page }) => {
  await page.goto('/test/e2e/pages/stub.html');
  await page.waitForFunction(() => !!(window as any).callswap.version);
  const types = await page.evaluate(() => {
    const c = (window as any).callswap;
    return [typeof c, typeof c.init, typeof c.detectSource, typeof c.swapNumbers, typeof c.version];
  });
  expect(types).toEqual(['function', 'function', 'function', 'function', 'string']);
});
