// Importing the package in Node (server-side rendering) does nothing and throws nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';

for (const entry of ['callswap', 'callswap/source', 'callswap/swap', 'callswap/vitals']) {
  test(`import "${entry}" in Node has no side effects`, async () => {
    const before = Object.keys(globalThis).sort();
    const module = await import(entry);
    assert.ok(Object.keys(module).length > 0);
    assert.deepEqual(Object.keys(globalThis).sort(), before);
  });
}

test('detectSource works without a DOM', async () => {
  const { detectSource } = await import('callswap/source');
  assert.equal(detectSource({ url: 'https://example.com/?gclid=abc' }).channel, 'paid_search');
});

test('init() outside a browser returns an instance that does nothing and throws nothing', async () => {
  const { init } = await import('callswap');
  const instance = init({ site: 'demo', numbers: ['+31 20 123 4567'], endpoint: 'https://pool.example.com/v1' });
  assert.deepEqual(instance.numbers, {});
  assert.equal(typeof instance.on('swap', () => undefined), 'function');
  instance.setConsent('granted');
  assert.equal(instance.status().consent, false);
  instance.destroy();
});
