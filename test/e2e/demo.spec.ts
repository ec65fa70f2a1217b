import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

// The demo as `npm start` runs it (default config and files): the whole loop from an ad click to an attributed call.
const root = fileURLToPath(new URL('../../', import.meta.url));
const port = 22000 + Math.floor(Math.random() * 20000);
let server: ChildProcess;

test.beforeAll(async () => {
  server = spawn(process.execPath, ['examples/pool-server/build/main.js'], { cwd: root, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', QUIET: '1' }, stdio: 'ignore' });
  await expect.poll(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)).toBe(true);
});
test.afterAll(() => server.kill());

test('a visit from a Google ad gets a tracking number; a call to it is attributed to the campaign and keyword', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=emergency+plumber&gclid=test123`);
  const button = page.locator('.call-button');
  await expect(button).toHaveAttribute('href', /^tel:\+4420794601\d\d$/);
  await expect(button.locator('.area')).toHaveText('020');
  await expect(page.locator('.lead strong')).toHaveText(/^020 7946 01\d\d$/);
  // The reviews arrive later and are swapped too; the company and VAT numbers are not phone numbers.
  await expect(page.locator('#reviews blockquote').first()).toContainText(/020 7946 01\d\d/);
  await expect(page.locator('address')).toContainText('Company no. 09876543 · VAT GB 123 4567 89');
  const tracking = (await button.getAttribute('href'))!.slice(4);

  await page.goto(`http://127.0.0.1:${port}/calls.html`);
  await expect(page.locator('#to')).toHaveValue(tracking);
  await page.click('#call button');
  await expect(page.locator('#result')).toHaveText('Attributed: paid_search (google / cpc), campaign spring, keyword "emergency plumber".');
  const row = page.locator('#calls tr').first();
  await expect(row).toContainText('paid_search');
  await expect(row).toContainText('gclid=test123');
  expect(errors).toEqual([]);
});
