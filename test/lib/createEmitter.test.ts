// The emitter on its own: events arrive in a microtask (a listener added right after the call that caused them
// still gets them), a listener that throws does not stop the others, and unsubscribing and clearing hold.
import { expect, test } from 'vitest';
import { createEmitter } from '../../src/lib/createEmitter';

type Events = { swap: number; click: string };

test('a listener added right after the emit still gets it, in a microtask', async () => {
  const events = createEmitter<Events>();
  const seen: number[] = [];
  events.emit('swap', 1);
  events.on('swap', (n) => seen.push(n));
  expect(seen).toEqual([]);
  await Promise.resolve();
  expect(seen).toEqual([1]);
});

test('a listener that throws does not stop the others; other events are not heard', async () => {
  const events = createEmitter<Events>();
  const seen: string[] = [];
  events.on('click', () => {
    throw new Error('page bug');
  });
  events.on('click', (s) => seen.push(s));
  events.on('swap', () => seen.push('swap'));
  events.emit('click', 'tel');
  await Promise.resolve();
  expect(seen).toEqual(['tel']);
});

test('unsubscribe and clear', async () => {
  const events = createEmitter<Events>();
  const seen: number[] = [];
  const off = events.on('swap', (n) => seen.push(n));
  events.on('swap', (n) => seen.push(n * 10));
  off();
  events.emit('swap', 2);
  await Promise.resolve();
  events.clear();
  events.emit('swap', 3);
  await Promise.resolve();
  expect(seen).toEqual([20]);
});
