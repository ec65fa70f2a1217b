// The script-tag entry on its own (no network: static numbers only): it replays the stub's queue in order, keeps a
// global that is not ours, runs pushes that come later, and warns instead of throwing.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';

type Global = ((...args: unknown[]) => unknown) & { q?: unknown; version?: string; status?: () => { numbers: Record<string, string> } | undefined; showDebug?: unknown };
const page = window as unknown as { callswap?: Global };
const CONFIG = { site: 'demo', numbers: ['+31 20 123 4567'], static: { direct: '+31 20 555 0000' } };

/** The queue stub of the README, with calls made before the script arrived. */
const stub = (...calls: unknown[][]) => {
  const fn = ((...args: unknown[]) => void (fn.q as unknown[]).push(args)) as Global;
  fn.q = calls;
  page.callswap = fn;
};
const load = async () => {
  vi.resetModules();
  await import('../../src/loader/callswap');
  return page.callswap!;
};

beforeEach(() => {
  vi.stubGlobal('__VERSION__', '0.0.0-test');
  document.body.innerHTML = '<p id="n">Bel 020 123 4567</p>';
});
afterEach(() => {
  page.callswap?.('destroy');
  delete page.callswap;
  vi.unstubAllGlobals();
});

test('the queue is replayed in order: an `on` queued before init sees the first swap', async () => {
  const swaps: unknown[] = [];
  stub(['on', 'swap', (e: unknown) => swaps.push(e)], ['init', CONFIG]);
  const callswap = await load();
  expect(callswap.version).toBe('0.0.0-test');
  expect(document.getElementById('n')!.textContent).toBe('Bel 020 555 0000');
  await vi.waitFor(() => expect(swaps).toHaveLength(1));
  expect(callswap.status!()!.numbers).toEqual({ '+31201234567': '+31205550000' });
});

test('pushes to callswap.q after the script arrived run at once; a second init is refused with one warning', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  stub();
  const callswap = await load();
  (callswap.q as { push(...entries: unknown[][]): number }).push(['init', CONFIG]);
  expect(document.getElementById('n')!.textContent).toBe('Bel 020 555 0000');
  callswap('init', CONFIG);
  expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(['callswap: init was called more than once; the first config is kept']);
});

test('mistakes warn once and never throw: an unknown command, `on` without a function, a bad config', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  stub();
  const callswap = await load();
  expect(() => callswap('dance')).not.toThrow();
  expect(() => callswap('on', 'swap')).not.toThrow();
  expect(() => callswap('init', { site: 'a b', numbers: [] })).not.toThrow();
  expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
    'callswap: unknown command "dance"',
    'callswap: "on" needs an event name and a function',
    'callswap: "site" must be the site id (letters, digits, ".", "-", "_")',
  ]);
  expect(document.getElementById('n')!.textContent).toBe('Bel 020 123 4567');
});

test("a page's own function at window.callswap is left as it is, said once; a second copy of ours keeps the first", async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const own = (() => 'mine') as Global;
  page.callswap = own;
  expect(await load()).toBe(own);
  expect(warn).toHaveBeenCalledWith('callswap: window.callswap is taken; callswap stays off');
  stub(['init', CONFIG]);
  const first = await load();
  expect(await load()).toBe(first);
});

test('the debug badge build attaches showDebug to the global', async () => {
  stub();
  const callswap = await load();
  await import('../../src/debug/entry');
  expect(typeof callswap.showDebug).toBe('function');
});
