// The continuation the swap's slices and the script's start use: never in the same task, ahead of timers where the
// browser has scheduler.yield, and by a MessageChannel message (no timer clamp) where it has not.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { later } from '../../src/lib/later';

const global = self as { scheduler?: unknown };
/** MessageChannels made since the test began. */
let channels = 0;
beforeEach(() => {
  channels = 0;
  vi.stubGlobal(
    'MessageChannel',
    class extends MessageChannel {
      constructor() {
        super();
        channels++;
      }
    },
  );
});
afterEach(() => {
  delete global.scheduler;
  vi.unstubAllGlobals();
});

test('without scheduler.yield: a MessageChannel message, after the task that asked', async () => {
  const seen: string[] = [];
  later(() => seen.push('later'));
  seen.push('same task');
  await Promise.resolve();
  expect(seen).toEqual(['same task']);
  await vi.waitFor(() => expect(seen).toEqual(['same task', 'later']));
  expect(channels).toBe(1);
});

test('with scheduler.yield: its continuation, and no message', async () => {
  let resume: () => void = () => undefined;
  const yielded = vi.fn(() => new Promise<void>((resolve) => (resume = resolve)));
  global.scheduler = { yield: yielded };
  const seen: string[] = [];
  later(() => seen.push('later'));
  await new Promise((r) => setTimeout(r, 10));
  // Not before the browser gives the turn back.
  expect(seen).toEqual([]);
  resume();
  await vi.waitFor(() => expect(seen).toEqual(['later']));
  expect(yielded).toHaveBeenCalledTimes(1);
  expect(channels).toBe(0);
});

test.each([
  ['a MessageChannel message', undefined],
  ['scheduler.yield', { yield: () => Promise.resolve() }],
])('what fn throws stays ours (%s): no error or rejection reaches the page, and the next one runs', async (_, scheduler) => {
  global.scheduler = scheduler;
  const reached: string[] = [];
  const onError = () => reached.push('error');
  const onRejection = () => reached.push('unhandledrejection');
  addEventListener('error', onError);
  addEventListener('unhandledrejection', onRejection);
  const nodeRejection = () => reached.push('node unhandledRejection');
  process.on('unhandledRejection', nodeRejection);
  let ran = false;
  later(() => {
    throw new Error('a broken dataLayer.push');
  });
  later(() => (ran = true));
  await vi.waitFor(() => expect(ran).toBe(true));
  await new Promise((r) => setTimeout(r, 20));
  removeEventListener('error', onError);
  removeEventListener('unhandledrejection', onRejection);
  process.off('unhandledRejection', nodeRejection);
  expect(reached).toEqual([]);
});
