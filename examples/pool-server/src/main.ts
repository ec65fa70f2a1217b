// Runs the reference pool server: `node examples/pool-server/build/main.js` (npm start builds and runs it with the
// demo). Environment: PORT (8080), HOST (localhost), CONFIG (the demo config), REDIS_URL (in-memory store when
// unset), STATIC ("prefix=dir,prefix=dir": files served outside the API), QUIET (no request logs).
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { createRedisStore } from './redisStore.js';
import { createMemoryStore } from './store.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || 'localhost';
const config = loadConfig(process.env.CONFIG || here('../demo.config.json'));
const store = process.env.REDIS_URL ? await createRedisStore(process.env.REDIS_URL) : createMemoryStore();
const statics = (process.env.STATIC ?? `/dist/=${here('../../../dist')},/=${here('../../site')}`)
  .split(',')
  .filter(Boolean)
  .map((pair) => pair.split('=') as [string, string]);
const log = process.env.QUIET ? undefined : (line: string) => process.stdout.write(line + '\n');

const server = createServer(createApp({ config, store, statics, log }));
server.listen(port, host, () => {
  const base = `http://${host}:${port}`;
  console.log(`callswap pool server on ${base} (${process.env.REDIS_URL ? 'Redis' : 'in-memory'} store)`);
  if (!process.env.STATIC) {
    console.log(`\nTry the demo site as visitors from different places:
  ${base}/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=emergency+plumber&gclid=test123
  ${base}/?utm_source=facebook&utm_medium=paid_social&utm_campaign=summer
  ${base}/?fbclid=abc
  ${base}/            (direct)
  ${base}/?callswap_debug=1
Then "place a call" to the number you see and watch it being attributed: ${base}/calls.html\n`);
  }
});
const stop = () => server.close(() => store.close().finally(() => process.exit(0)));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
