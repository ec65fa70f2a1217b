// Runs the reference pool server: `node examples/pool-server/build/main.js`; `npm start` runs it as the demo.
// Environment:
//   CONFIG       the config file (required, but for the demo's own with DEMO=1)
//   PORT, HOST   where to listen (8080, localhost)
//   REDIS_URL    share the pool (and rate limits) between processes through Redis; in memory when unset
//   ADMIN_TOKEN  the bearer token of the operator API (/v1/calls, /v1/stats); off when unset
//   TRUST_PROXY  believe X-Forwarded-For from these proxies: true, a hop count, or addresses/CIDRs (comma-separated)
//   PUBLIC_URL   the server's public URL when behind a proxy (its origin is the server's own for CORS; Twilio signs it)
//   TWILIO_AUTH_TOKEN  verifies Twilio's webhooks (/v1/telephony/twilio/*); without it they are refused
//   DEMO=1       serve the demo site and dist/, make an admin token when none is set and hand it to the demo's pages
//   STATIC       files to serve as "prefix=dir,prefix=dir" (the end-to-end tests serve the repository)
//   LOG          json (pino's JSON lines, the default) or short (a line per lease, release, call and error; the demo's)
//   LOG_LEVEL    pino level (info); QUIET=1 logs warnings only
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { loadConfig } from './config.js';
import { BODY_LIMIT, createServer, type ServerOptions } from './createServer.js';
import { createMemoryStore } from './store/memory.js';
import { connectRedis, createRedisStore } from './store/redis.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const env = process.env;
/** After SIGTERM: keep accepting until no connection came for this long (ms), so none queued is reset. */
const DRAIN_QUIET = 150;
/** ...but no longer than this (ms). */
const DRAIN_MAX = 2000;
/** In-flight requests get this long (ms) after SIGTERM before the process exits anyway. */
const STOP_TIMEOUT = 10_000;

/** TRUST_PROXY as Fastify's trustProxy: true, a hop count, or addresses and CIDRs. */
const trustProxy = (value: string | undefined): boolean | number | string[] =>
  !value ? false : value == 'true' ? true : /^\d+$/.test(value) ? Number(value) : value.split(',').map((s) => s.trim());

/** The demo's log: one short line per lease, release and call, and errors; pino's JSON lines in, text out. */
const shortLines = {
  write(line: string): void {
    try {
      const entry = JSON.parse(line);
      const time = new Date(entry.time).toTimeString().slice(0, 8);
      const text =
        entry.msg == 'lease'
          ? `${entry.site}  ${entry.channel}: ${entry.numbers} number${entry.numbers == 1 ? '' : 's'}${entry.none ? `, ${entry.none} without (pool busy)` : ''}`
          : entry.msg == 'call'
            ? `${entry.site ?? 'unknown number'}  ${entry.attributed ? `attributed to ${entry.channel}` : 'not attributed'}`
            : entry.msg == 'release'
              ? `${entry.site}  released (consent withdrawn)`
              : entry.level >= 40
                ? `${entry.msg}${entry.err ? `: ${entry.err.message}` : ''}`
                : '';
      if (text) process.stdout.write(`${time} ${entry.level >= 50 ? 'error  ' : entry.level >= 40 ? 'warning' : entry.msg.padEnd(7)} ${text}\n`);
    } catch {
      process.stdout.write(line);
    }
  },
};

/** Resolves once `server` accepted no connection for DRAIN_QUIET ms (or DRAIN_MAX passed). */
const drain = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    let last = Date.now();
    const started = last;
    const onConnection = () => (last = Date.now());
    server.on('connection', onConnection);
    const check = setInterval(() => {
      if (Date.now() - last >= DRAIN_QUIET || Date.now() - started >= DRAIN_MAX) {
        clearInterval(check);
        server.off('connection', onConnection);
        resolve();
      }
    }, 25);
  });

async function main(): Promise<void> {
  const demo = env.DEMO == '1';
  if (!env.CONFIG && !demo) throw new Error('CONFIG is not set: name the config file (DEMO=1 runs the demo with its own)');
  const config = loadConfig(env.CONFIG || here('../demo.config.json'));
  const port = Number(env.PORT || 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT is not a port number: ${env.PORT}`);
  if (env.PUBLIC_URL && !URL.canParse(env.PUBLIC_URL)) throw new Error(`PUBLIC_URL is not a URL: ${env.PUBLIC_URL}`);
  const host = env.HOST || 'localhost';
  const redis = env.REDIS_URL ? await connectRedis(env.REDIS_URL) : undefined;
  const store = redis ? createRedisStore(redis) : createMemoryStore();
  const adminToken = env.ADMIN_TOKEN || (demo ? randomBytes(18).toString('base64url') : undefined);
  const statics = env.STATIC ?? (demo ? `/dist/=${here('../../../dist')},/=${here('../../site')}` : '');
  const fastify = await createServer({
    config,
    store,
    redis,
    adminToken,
    trustProxy: trustProxy(env.TRUST_PROXY) as ServerOptions['trustProxy'],
    publicUrl: env.PUBLIC_URL,
    twilioAuthToken: env.TWILIO_AUTH_TOKEN,
    logger: {
      level: env.QUIET ? 'warn' : env.LOG_LEVEL || 'info',
      ...((env.LOG ?? (demo ? 'short' : 'json')) == 'short' && { stream: shortLines }),
    },
    demo: statics
      ? { statics: statics.split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string]), shareToken: demo && !env.ADMIN_TOKEN }
      : undefined,
  });
  await fastify.listen({ port, host });
  const base = `http://${host}:${port}`;
  console.log(`callswap pool server on ${base} (${redis ? 'Redis' : 'in-memory'} store, bodies up to ${BODY_LIMIT} bytes)`);
  if (demo) {
    console.log(`
Admin token (the demo's pages have it already): ${adminToken}

Try the demo site as visitors from different places:
  ${base}/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=emergency+plumber&gclid=test123
  ${base}/?utm_source=facebook&utm_medium=paid_social&utm_campaign=summer
  ${base}/?fbclid=abc
  ${base}/            (direct)
  ${base}/?callswap_debug=1
Then "place a call" to the number you see and watch it being attributed: ${base}/calls.html
`);
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    fastify.stopping = true;
    setTimeout(() => process.exit(1), STOP_TIMEOUT).unref();
    // Connections the kernel completed but Node has not accepted yet would be reset by closing the socket now.
    await drain(fastify.server);
    // A keep-alive connection whose request finishes after this point turns idle later: close those as they do.
    setInterval(() => fastify.server.closeIdleConnections(), 100).unref();
    await fastify.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: Error) => {
  console.error(`callswap pool server: ${e.message}`);
  process.exit(1);
});
