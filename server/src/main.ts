// Runs the pool server from its settings (src/env.ts): opens the store, listens, and drains on SIGTERM. The command
// line (src/cli.ts) calls it; src/app.ts builds the Fastify instance without listening (tests use that).
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { BODY_LIMIT, createServer, type ServerOptions } from './app.js';
import { loadConfig } from './config.js';
import { isLoopbackHost } from './net.js';
import type { Settings } from './env.js';
import { createMemoryStore } from './store/memory.js';
import { connectRedis, createRedisStore } from './store/redis.js';
import { openSqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';
import type { Redis } from 'ioredis';

/** After SIGTERM: keep accepting until no connection came for this long (ms), so none queued is reset. */
const DRAIN_QUIET = 150;
/** ...but no longer than this (ms). */
const DRAIN_MAX = 2000;
/** In-flight requests get this long (ms) after SIGTERM before the process exits anyway. */
const STOP_TIMEOUT = 10_000;

/** What the short log reads of a pino line. */
interface LogEntry {
  time: number;
  level: number;
  msg: string;
  site?: string;
  channel?: string;
  numbers?: number;
  none?: number;
  attributed?: boolean;
  err?: { message: string };
}

/** The demo's log: one short line per lease, release and call, and errors; pino's JSON lines in, text out. */
const shortLines = {
  write(line: string): void {
    try {
      const entry = JSON.parse(line) as LogEntry;
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

/** The store the settings name, opened; Redis's connection too, which the rate limiter shares. */
export async function openStore(settings: Settings): Promise<{ store: Store; redis?: Redis; where: string }> {
  if (settings.store == 'redis') {
    const redis = await connectRedis(settings.redisUrl!);
    return { store: createRedisStore(redis), redis, where: 'Redis' };
  }
  if (settings.store == 'memory') return { store: createMemoryStore(), where: 'in-memory (lost on restart)' };
  return { store: openSqliteStore(settings.dataDir), where: `SQLite in ${settings.dataDir}` };
}

/** Starts the server and keeps it running until SIGTERM or SIGINT, then drains and exits. */
export async function runServer(settings: Settings): Promise<void> {
  const config = loadConfig(settings.configFile);
  const { store, redis, where } = await openStore(settings);
  const adminToken = settings.adminToken || (settings.demo ? randomBytes(18).toString('base64url') : undefined);
  const fastify = await createServer({
    config,
    store,
    redis,
    adminToken,
    trustProxy: settings.trustProxy as ServerOptions['trustProxy'],
    publicUrl: settings.publicUrl,
    twilioAuthToken: settings.twilioAuthToken,
    ga4Endpoint: settings.ga4Endpoint,
    logger: { level: settings.logLevel, ...(settings.log == 'short' && { stream: shortLines }) },
    // The demo's token goes to its pages only on a server this machine alone can reach.
    demo: settings.demo || settings.statics.length ? { statics: settings.statics, shareToken: settings.demo && !settings.adminToken && isLoopbackHost(settings.host) } : undefined,
  });
  await fastify.listen({ port: settings.port, host: settings.host });
  const base = `http://${settings.host}:${settings.port}`;
  console.log(`callswap pool server on ${base} (${where} store, bodies up to ${BODY_LIMIT} bytes)`);
  if (settings.demo) {
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
