// The environment, read once: every variable the server reads is in ENVIRONMENT (the README's table is checked
// against it by a test), and readSettings turns them into typed settings or throws one line naming the variable.
import { resolve } from 'node:path';

/** Every environment variable the server reads, its default, and what it does. */
export const ENVIRONMENT = {
  CONFIG: { default: '', what: 'the config file (`--config FILE` does the same); required' },
  PORT: { default: '8080', what: 'the port to listen on' },
  HOST: { default: 'localhost', what: 'the address to listen on (`0.0.0.0` for every interface)' },
  DATA_DIR: { default: './data', what: 'where the SQLite store keeps its database (`callswap.db`), relative to the working directory' },
  STORE: { default: 'sqlite', what: '`sqlite` (durable, one process), `redis` (several processes; needs `REDIS_URL`) or `memory` (tests and benchmarks: lost on restart)' },
  REDIS_URL: { default: '', what: 'the Redis to share the pool and rate limits in; sets `STORE=redis` unless `STORE` says otherwise' },
  ADMIN_TOKEN: { default: '', what: 'the operator API\'s bearer token; without it the operator API answers 401' },
  TRUST_PROXY: { default: '', what: 'which proxies\' `X-Forwarded-For` to believe: a hop count, or addresses/CIDRs, comma-separated' },
  PUBLIC_URL: { default: '', what: 'the server\'s public URL behind a proxy: its origin is the server\'s own for CORS, and Twilio signs it' },
  TWILIO_AUTH_TOKEN: { default: '', what: 'verifies Twilio\'s webhooks (needs `PUBLIC_URL`); without it they are refused' },
  GA4_ENDPOINT: { default: 'https://www.google-analytics.com/mp/collect', what: 'where GA4 events go (the Measurement Protocol); tests point it at a stand-in' },
  DEMO: { default: '', what: '`1`: make an admin token when none is set and hand it to the demo\'s pages (`npm start`)' },
  STATIC: { default: '', what: 'files to serve too, as `prefix=dir,prefix=dir` (the demo serves its site and the SDK this way)' },
  LOG: { default: 'json', what: '`json` (pino\'s JSON lines) or `short` (a line of text per lease, release, call and error)' },
  LOG_LEVEL: { default: 'info', what: 'pino level: `info` logs a line per lease, release and call, `debug` one per request too' },
  QUIET: { default: '', what: '`1`: warnings and errors only' },
} as const;

export type Variable = keyof typeof ENVIRONMENT;

/** What the environment asks for, checked. */
export interface Settings {
  configFile: string;
  port: number;
  host: string;
  dataDir: string;
  store: 'sqlite' | 'redis' | 'memory';
  redisUrl?: string;
  adminToken?: string;
  trustProxy: false | number | string[];
  publicUrl?: string;
  twilioAuthToken?: string;
  ga4Endpoint: string;
  demo: boolean;
  statics: [prefix: string, dir: string][];
  log: 'json' | 'short';
  logLevel: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The settings from `env` (process.env) and the config file named on the command line, if any. Throws an Error
 * whose message names the variable and the forms it takes.
 */
export function readSettings(env: Record<string, string | undefined> = process.env, configFile?: string): Settings {
  const get = (name: Variable): string => env[name] ?? ENVIRONMENT[name].default;
  const fail = (name: Variable, wanted: string): never => {
    // Secrets are not repeated.
    throw new Error(`${name}=${/TOKEN/.test(name) ? '…' : env[name]} is not valid: ${wanted}`);
  };
  const file = configFile || get('CONFIG');
  if (!file) throw new Error('no config file: name it with --config FILE (or CONFIG=FILE); `callswap-server --help` tells more');
  const port = Number(get('PORT'));
  if (!/^\d+$/.test(get('PORT')) || port > 65535) fail('PORT', 'a port number from 0 to 65535');
  const publicUrl = get('PUBLIC_URL') || undefined;
  if (publicUrl && !/^https?:\/\/[^/]/.test(publicUrl)) fail('PUBLIC_URL', 'an http(s) URL, e.g. https://pool.example.com');
  if (get('TWILIO_AUTH_TOKEN') && !publicUrl) fail('TWILIO_AUTH_TOKEN', 'it needs PUBLIC_URL too (https://pool.example.com): Twilio signs the public URL of each webhook, which is never taken from the request');
  if (!/^https?:\/\/[^/]/.test(get('GA4_ENDPOINT'))) fail('GA4_ENDPOINT', 'an http(s) URL');
  const redisUrl = get('REDIS_URL') || undefined;
  const store = (env.STORE || (redisUrl ? 'redis' : 'sqlite')) as Settings['store'];
  if (!['sqlite', 'redis', 'memory'].includes(store)) fail('STORE', 'sqlite, redis or memory');
  if (store == 'redis' && !redisUrl) fail('STORE', 'redis needs REDIS_URL=redis://host:6379');
  const statics = get('STATIC')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [prefix, dir] = pair.split('=');
      if (!prefix?.startsWith('/') || !dir) fail('STATIC', 'prefix=dir pairs, comma-separated, each prefix starting with /');
      return [prefix!, resolve(dir!)] as [string, string];
    });
  const log = get('LOG') as Settings['log'];
  if (log != 'json' && log != 'short') fail('LOG', 'json or short');
  const logLevel = env.QUIET ? 'warn' : get('LOG_LEVEL');
  if (!LEVELS.includes(logLevel)) fail('LOG_LEVEL', LEVELS.join(', '));
  return {
    configFile: file,
    port,
    host: get('HOST'),
    dataDir: resolve(get('DATA_DIR')),
    store,
    redisUrl,
    adminToken: get('ADMIN_TOKEN') || undefined,
    trustProxy: trustProxy(get('TRUST_PROXY'), fail),
    publicUrl,
    twilioAuthToken: get('TWILIO_AUTH_TOKEN') || undefined,
    ga4Endpoint: get('GA4_ENDPOINT'),
    demo: get('DEMO') == '1',
    statics,
    log,
    logLevel,
  };
}

/**
 * TRUST_PROXY as Fastify's trustProxy: a hop count, or addresses and CIDRs. `true` (believe any X-Forwarded-For) is
 * refused: any client could then choose its address, and with it get round the per-address limits.
 */
function trustProxy(value: string, fail: (name: Variable, wanted: string) => never): Settings['trustProxy'] {
  if (!value) return false;
  if (/^\d+$/.test(value)) return Number(value);
  const list = value.split(',').map((s) => s.trim());
  if (list.some((item) => !/^[\da-f.:]+(\/\d{1,3})?$/i.test(item) && !/^(loopback|linklocal|uniquelocal)$/.test(item))) {
    fail('TRUST_PROXY', 'the number of proxies in front of the server (1), or their addresses or CIDRs, comma-separated (127.0.0.1,10.0.0.0/8); "true" would let any client choose its address');
  }
  return list;
}
