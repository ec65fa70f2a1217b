// How the demo runs the pool server: this site and the SDK's dist/ as static files, the demo's config, an admin
// token of its own that the demo's pages get (DEMO=1). npm start (start.mjs) and the tests that play the demo use it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const site = fileURLToPath(new URL('./', import.meta.url));
const root = join(site, '../..');

/** The pool server's environment for the demo. */
export const demoEnv = () => ({
  DEMO: '1',
  CONFIG: join(site, 'demo.config.json'),
  STATIC: `/dist/=${join(root, 'dist')},/=${site}`,
});
