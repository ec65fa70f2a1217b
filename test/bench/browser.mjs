// Launches Chromium for the benchmarks the way the Playwright tests do: Debian's Chromium when present
// (CHROMIUM_PATH or /usr/bin/chromium), else Playwright's own.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

export const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc'],
  });

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
