// @vitest-environment node
// Every module of src/ has a unit test that imports it directly, not only through another module.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { filesUnder } from './helpers';

/** Built only into the script tag's IIFE, where test/e2e runs it (rollup swaps it in for loadDebug.ts). */
const ONLY_IN_THE_BUILD = ['src/debug/loadDebugScript.ts'];

test('each module of src/ is imported by a unit test', () => {
  const tests = filesUnder('test').filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(f, 'utf8')).join('\n');
  const modules = filesUnder('src').filter((f) => f.endsWith('.ts') && !f.endsWith('/types.ts') && !ONLY_IN_THE_BUILD.includes(f));
  const imported = (file: string) => tests.includes(`'../${file.replace(/\.ts$/, '')}'`) || tests.includes(`'../../${file.replace(/\.ts$/, '')}'`);
  expect(modules.filter((file) => !imported(file))).toEqual([]);
});
