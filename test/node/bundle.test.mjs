// What an app's bundler makes of `import { init } from 'callswap'` (rollup, as Vite builds for production): the
// debug badge is a chunk of its own, loaded only when debug is turned on, never in the app's main chunk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import nodeResolve from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';

test("import { init } from 'callswap' leaves the debug badge out of the main chunk", async () => {
  const entry = "import { init } from 'callswap'; init({ site: 'demo', numbers: ['+31 20 123 4567'] });";
  const build = await rollup({ input: 'app', plugins: [{ name: 'app', resolveId: (id) => (id == 'app' ? id : null), load: (id) => (id == 'app' ? entry : null) }, nodeResolve()] });
  const { output } = await build.generate({ format: 'es' });
  const [main, ...chunks] = output.filter((o) => o.type == 'chunk');
  // The badge's own code (its markup: a role=status box) is not in the app's chunk; the chunk with it is loaded by
  // a dynamic import, when debug is on.
  const badge = /"role","status"|'role', 'status'/;
  assert.doesNotMatch(main.code, badge);
  const lazy = chunks.find((c) => badge.test(c.code));
  assert.ok(lazy, 'a chunk of its own holds the badge');
  assert.ok(main.code.includes(`import('./${lazy.fileName}')`), 'loaded by a dynamic import');
});
