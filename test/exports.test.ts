// What each public entry exports, as package.json's `exports` map names them: a name dropped or added shows here.
import { expect, test } from 'vitest';

test.each([
  ['callswap', () => import('../src/index'), ['ATTRIBUTION_DAYS', 'SESSION_TIMEOUT', 'attribute', 'detectSource', 'getChannel', 'init', 'swapNumbers']],
  ['callswap/source', () => import('../src/source/index'), ['detectSource', 'getChannel']],
  ['callswap/swap', () => import('../src/swap/index'), ['swapNumbers']],
  ['callswap/vitals', () => import('../src/vitals/index'), ['reportVitals']],
])('%s', async (_, load, names) => {
  expect(Object.keys(await load()).sort()).toEqual(names);
});
