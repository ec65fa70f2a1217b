import { readFileSync } from 'node:fs';

/** The pool server's configuration (a JSON file). */
export interface PoolConfig {
  /** Seconds a number stays reserved after the last heartbeat. Default 1800. */
  ttl: number;
  /** Seconds between heartbeats the SDK is told to use. Default 60. */
  heartbeat: number;
  /** Seconds a released number rests before anyone else gets it. Default 300. */
  quarantine: number;
  /** Origins allowed by CORS; `["*"]` allows any. */
  allowedOrigins: string[];
  /** Requests per window per IP and per visitor before 429. */
  rateLimit: { perIp: number; perVisitor: number; windowSeconds: number };
  /** site id → site number (E.164) → pools: rule pool name or channel → tracking numbers; `default` for the rest. */
  sites: Record<string, { numbers: Record<string, { pools: Record<string, string[]> }> }>;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** Reads and checks a config file; throws an Error naming what is wrong. */
export function loadConfig(path: string): PoolConfig {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  const config: PoolConfig = {
    ttl: 1800,
    heartbeat: 60,
    quarantine: 300,
    allowedOrigins: ['*'],
    rateLimit: { perIp: 120, perVisitor: 30, windowSeconds: 60 },
    ...raw,
  };
  const fail = (message: string): never => {
    throw new Error(`${path}: ${message}`);
  };
  if (!config.sites || typeof config.sites != 'object') fail('"sites" must be an object');
  const seen = new Map<string, string>();
  for (const [site, { numbers }] of Object.entries(config.sites)) {
    if (!/^[\w.-]{1,100}$/.test(site)) fail(`site id "${site}" is not valid`);
    for (const [target, { pools }] of Object.entries(numbers || fail(`site "${site}" needs "numbers"`))) {
      if (!E164.test(target)) fail(`site "${site}": "${target}" is not E.164`);
      for (const [pool, list] of Object.entries(pools || fail(`"${target}" needs "pools"`))) {
        for (const number of list) {
          if (!E164.test(number)) fail(`pool "${pool}" of "${target}": "${number}" is not E.164`);
          // A tracking number stands for one site number, or a call could not be attributed.
          const owner = `${site} ${target}`;
          if (seen.has(number) && seen.get(number) != owner) fail(`"${number}" is in the pools of two site numbers`);
          seen.set(number, owner);
        }
      }
    }
  }
  for (const name of ['ttl', 'heartbeat', 'quarantine'] as const) {
    if (!(config[name] >= 0)) fail(`"${name}" must be a number of seconds`);
  }
  return config;
}
