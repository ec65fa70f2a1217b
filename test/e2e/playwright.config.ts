import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

/** Debian's Chromium where it is installed (CI, containers), or a path from CHROMIUM_PATH; else Playwright's own. */
const executablePath = process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
/**
 * Debian's Firefox ESR (or FIREFOX_PATH), driven over WebDriver BiDi (Playwright's moz-firefox channel: a stock
 * Firefox, not Playwright's patched build). Playwright is pinned to 1.64: 1.65 fails on ESR 153 at newContext
 * (emulation.setMediaFeaturesOverride: unknown command).
 */
const firefoxPath = process.env.FIREFOX_PATH || (existsSync('/usr/bin/firefox-esr') ? '/usr/bin/firefox-esr' : undefined);
const port = Number(process.env.E2E_PORT || 4173);
/** The pool server, serving the repository too: the pages that lease talk to it on one origin. */
export const poolPort = Number(process.env.E2E_POOL_PORT || 4174);
/** The GA4 stand-in (test/ga4.mjs): the pool server sends its events there. */
export const ga4Port = Number(process.env.E2E_GA4_PORT || 4175);
/** The pool server's operator token in these tests. */
export const ADMIN_TOKEN = 'e2e-admin-token';
/** The Twilio auth token the pool server verifies webhooks with in these tests. */
export const TWILIO_AUTH_TOKEN = 'e2e-twilio-token';
const root = fileURLToPath(new URL('../../', import.meta.url));

/** The Firefox projects' settings. */
const FIREFOX = {
  browserName: 'firefox' as const,
  channel: 'moz-firefox',
  launchOptions: {
    executablePath: firefoxPath,
    firefoxUserPrefs: {
      // shop.example.co.uk and www.example.com are this machine (Chromium's --host-resolver-rules below).
      'network.dns.localDomains': 'shop.example.co.uk,www.example.com',
      // The network is closed: no updates, telemetry or captive-portal checks.
      'app.update.enabled': false,
      'network.captive-portal-service.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
      'browser.safebrowsing.downloads.remote.enabled': false,
    },
  },
};

export default defineConfig({
  testDir: '.',
  timeout: 30_000,
  workers: 2,
  reporter: [['list']],
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath,
      // The network is closed and we run as root in CI: no sandbox, no background connections.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // A registrable domain under a public suffix, and a .com host, on loopback: both are this machine.
        '--host-resolver-rules=MAP *.example.co.uk 127.0.0.1, MAP www.example.com 127.0.0.1',
      ],
    },
  },
  projects: [
    { name: 'chromium', testIgnore: /hostile\.spec/ },
    { name: 'firefox', testIgnore: /hostile\.spec/, use: FIREFOX },
    // The hostile-pool suite measures long tasks: it runs alone, after the rest, so no other test's load is counted.
    { name: 'hostile', testMatch: /hostile\.spec/, dependencies: ['chromium', 'firefox'] },
    { name: 'hostile-firefox', testMatch: /hostile\.spec/, dependencies: ['hostile'], use: FIREFOX },
  ],
  webServer: [
    {
      command: 'node test/ga4.mjs',
      cwd: root,
      url: `http://127.0.0.1:${ga4Port}/health`,
      reuseExistingServer: !process.env.CI,
      env: { GA4_PORT: String(ga4Port) },
    },
    {
      command: 'node test/e2e/server.mjs',
      cwd: root,
      url: `http://127.0.0.1:${port}/health`,
      reuseExistingServer: !process.env.CI,
    },
    {
      // The default store (SQLite), in a data directory of its own that each run starts empty.
      command: `node -e "require('fs').rmSync('.tmp/e2e-pool',{recursive:true,force:true})" && node server/build/cli.js`,
      cwd: root,
      url: `http://127.0.0.1:${poolPort}/health`,
      reuseExistingServer: !process.env.CI,
      env: { PORT: String(poolPort), HOST: '127.0.0.1', CONFIG: 'test/e2e/pool.config.json', DATA_DIR: '.tmp/e2e-pool', STATIC: `/=${root}`, QUIET: '1', ADMIN_TOKEN, TWILIO_AUTH_TOKEN, PUBLIC_URL: `http://127.0.0.1:${poolPort}`, GA4_ENDPOINT: `http://127.0.0.1:${ga4Port}/mp/collect` },
    },
  ],
});
