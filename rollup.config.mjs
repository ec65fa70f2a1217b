import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

const { version, dependencies } = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8'));

/** Terser as web-vitals uses it: private `_`-prefixed properties are mangled too. */
const minify = (module) =>
  terser({
    module,
    ecma: 2020,
    compress: {
      passes: 3,
      global_defs: { __VERSION__: version },
      pure_getters: true,
      unsafe: true,
      unsafe_arrows: true,
      unsafe_comps: true,
      unsafe_methods: true,
      unsafe_regexp: true,
    },
    // Not `__`: that is the page's (`__tcfapi`), never ours.
    mangle: { properties: { regex: /^_[^_]/ } },
    // The script tag starts with `;` so it is safe after a concatenated script without its trailing semicolon, and
    // before it with V8's explicit compile hint (Chrome 136+): every function of it runs at start, so V8 compiles
    // them all on the thread that streams the script instead of one by one on the page's main thread.
    format: { comments: false, preamble: module ? undefined : '//# allFunctionsCalledOnLoad\n;' },
  });

const ts = (declarations) =>
  typescript({
    tsconfig: './tsconfig.json',
    declaration: declarations,
    declarationDir: declarations ? 'dist' : undefined,
    outDir: 'dist',
    noEmitOnError: true,
  });

/**
 * The script tag is one IIFE, which cannot split chunks: there the debug badge is loaded as dist/callswap-debug.js
 * from next to the script (src/debug/loadDebugScript.ts) instead of by dynamic import (src/debug/loadDebug.ts).
 */
const debugAsScript = {
  name: 'debug-as-script',
  resolveId: (source, importer) =>
    source.endsWith('/loadDebug.js') && importer ? resolve(dirname(importer), source.replace('loadDebug.js', 'loadDebugScript.ts')) : null,
};

export default [
  // npm: one ESM file per public subpath, shared code in chunks, dependencies left to the user's bundler.
  {
    input: {
      index: 'src/index.ts',
      source: 'src/source/index.ts',
      swap: 'src/swap/index.ts',
      vitals: 'src/vitals/index.ts',
    },
    external: Object.keys(dependencies),
    output: { dir: 'dist', format: 'es', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true },
    plugins: [ts(true), minify(true)],
  },
  // Script tag: one self-contained IIFE that defines window.callswap.
  {
    input: 'src/loader/callswap.ts',
    output: { file: 'dist/callswap.min.js', format: 'iife', sourcemap: true },
    plugins: [debugAsScript, nodeResolve(), ts(false), minify(false)],
  },
  // The debug badge for the script tag, loaded only with ?callswap_debug=1 or debug: true.
  {
    input: 'src/debug/entry.ts',
    output: { file: 'dist/callswap-debug.js', format: 'iife', sourcemap: true },
    plugins: [ts(false), minify(false)],
  },
];
