// ESLint with typescript-eslint: the recommended rules and the type-aware ones, for the SDK, the server and their
// tests. `npm run lint` (part of `npm test`). What is off is said below, with why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test-results/**', 'coverage/**'] },
  {
    files: ['src/**/*.ts', 'server/src/**/*.ts', 'test/**/*.ts', 'server/test/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Every store implements one async interface; the memory store's bodies need no await.
      '@typescript-eslint/require-await': 'off',
      // `_`-prefixed names are ours to leave unused (a callback's first argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `a && b()` and `a ? b() : c()` as statements: the minified script tag is written so anyway, and is smaller so.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Listeners and timers given an async function: each catches what it awaits (a guest never rejects unhandled).
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // A page-side import('/dist/…' as string) is cast so that TypeScript, in Node, does not try to resolve it.
    files: ['test/e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },
  {
    // `throw 0` jumps to the catch right below it, which reports the failure; an Error there would cost bytes and
    // say nothing more.
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/only-throw-error': 'off' },
  },
  {
    // Tests read JSON answers, page globals and mocks: `any` flows there by design, spies take methods unbound, the
    // GTM test runs the template's code as GTM's sandbox does (new Function), and stand-ins reject as browsers do.
    files: ['test/**/*.ts', 'server/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-implied-eval': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
);
