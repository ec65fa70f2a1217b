import { expect, test } from '@playwright/test';
// @ts-expect-error plain JS shared with the benchmarks
import { demoEnv, startPoolServer } from '../servers.mjs';

// The demo as `npm start` runs it (default config and files): the whole loop from an ad click to an attributed call.
let demo: { base: string; stop: () => void };

test.beforeAll(async () => {
  // Default config and files, as npm start has them (and its own admin token, which the demo's pages fetch).
  demo = await startPoolServer({ ...demoEnv(), ADMIN_TOKEN: '' });
});
test.afterAll(() => demo.stop());

test('a visit from a Google ad gets a tracking number; a call to it is attributed to the campaign and keyword', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${demo.base}/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=emergency+plumber&gclid=test123`);
  const button = page.locator('.call-button');
  await expect(button).toHaveAttribute('href', /^tel:\+4420794601\d\d$/);
  await expect(button.locator('.area')).toHaveText('020');
  await expect(page.locator('.lead strong')).toHaveText(/^020 7946 01\d\d$/);
  // The reviews arrive later and are swapped too; the company and VAT numbers are not phone numbers.
  await expect(page.locator('#reviews blockquote').first()).toContainText(/020 7946 01\d\d/);
  await expect(page.locator('address')).toContainText('Company no. 09876543 · VAT GB 123 4567 89');
  const tracking = (await button.getAttribute('href'))!.slice(4);

  await page.goto(`${demo.base}/calls.html`);
  // Offered as the site wrote it.
  await expect(page.locator('#to')).toHaveValue(tracking.replace(/^\+44(20)(\d{4})(\d{4})$/, '0$1 $2 $3'));
  await page.click('#call button');
  await expect(page.locator('#result')).toHaveText('Attributed: paid_search (google / cpc), campaign spring, keyword "emergency plumber".');
  const row = page.locator('#calls tr').first();
  await expect(row).toContainText('paid search');
  await expect(row).toContainText('gclid=test123');
  expect(errors).toEqual([]);
});

test('one visitor trying every "Visit again as" link five times never empties a demo pool', async ({ page, browserName }) => {
  test.skip(browserName != 'chromium', 'the pool sizes are the server\'s; one engine shows them');
  // 30 visits, one after another: about 20 s alone.
  test.setTimeout(120_000);
  await page.goto(`${demo.base}/`);
  const banner = page.locator('.demo-banner');
  const names = await banner.locator('.demo-kinds a').allTextContents();
  expect(names).toHaveLength(6);
  for (let round = 0; round < 5; round++) {
    for (const name of names) {
      await banner.getByRole('link', { name }).click();
      // The new visit's lease has come: its numbers are shown, none "taken right now".
      await expect(banner.locator('.demo-swap')).toHaveText([/ → 020 7946 0\d{3}$/, / → 020 7946 05\d\d$/]);
      await expect(banner.locator('.demo-notice')).toBeHidden();
    }
  }
});
