// WebKit for the tests: WebKitGTK's MiniBrowser (the Safari engine, from Debian's webkit2gtk-driver) under Xvfb,
// driven over W3C WebDriver by WebKitWebDriver with selenium-webdriver (Playwright cannot drive a stock WebKitGTK).
// Paths come from MINIBROWSER_PATH and WEBKIT_DRIVER_PATH, else Debian's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Builder } from 'selenium-webdriver';
import { freePort } from '../servers.mjs';

export const MINIBROWSER = process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const DRIVER = process.env.WEBKIT_DRIVER_PATH || 'WebKitWebDriver';

/** True when this machine has what the WebKit suite needs (.ci/run installs it). */
export const available = () => existsSync(MINIBROWSER) && !spawnSync(DRIVER, ['--help']).error && !spawnSync('Xvfb', ['-help']).error;

/**
 * Starts Xvfb and WebKitWebDriver; resolves with `session()` (a new browser: a new visitor, its own website data;
 * WebKitWebDriver drives one at a time, so the previous one ends) and `stop()`.
 */
export async function startWebKit() {
  const children = [];
  const display = `:${90 + Math.floor(Math.random() * 400)}`;
  const xvfb = spawn('Xvfb', [display, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  children.push(xvfb);
  const port = await freePort();
  const driver = spawn(DRIVER, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: display } });
  children.push(driver);
  const server = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${server}/status`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const sessions = [];
  return {
    async session() {
      for (const old of sessions.splice(0)) await old.quit().catch(() => undefined);
      const browser = await new Builder()
        .usingServer(server)
        .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } })
        .build();
      sessions.push(browser);
      return browser;
    },
    async stop() {
      for (const browser of sessions) await browser.quit().catch(() => undefined);
      for (const child of children) child.kill('SIGKILL');
    },
  };
}
