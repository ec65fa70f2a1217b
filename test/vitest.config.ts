import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts', 'server/test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    environment: 'happy-dom',
    // The GTM stand-ins inject script elements; happy-dom does not load them (and should not say so each time).
    environmentOptions: { happyDOM: { settings: { disableJavaScriptFileLoading: true, handleDisabledFileLoadingAsSuccess: true } } },
    restoreMocks: true,
    // The floor CI enforces (npm run test:unit): for everything measured, and for the SDK and the server's pool
    // logic and stores on their own. Every file of src/ is counted, so one that no test runs shows as 0 % and pulls
    // src/ under its floor (and test/imports.test.ts names it).
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'server/src/pool.ts', 'server/src/store/**/*.ts'],
      // The script tag's badge loader runs only in the built IIFE (test/e2e covers it); types.ts holds types only.
      exclude: ['src/debug/loadDebugScript.ts', 'src/source/types.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: {
        lines: 90,
        statements: 90,
        functions: 90,
        branches: 80,
        'src/**/*.ts': { lines: 90, statements: 90, functions: 88, branches: 85 },
        'server/src/{pool.ts,store/*.ts}': { lines: 90, statements: 88, functions: 88, branches: 80 },
      },
    },
  },
});
