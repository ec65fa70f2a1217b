// Every store for the pool server's tests, each with a clock the test moves: the memory and SQLite stores' own, and
// for Redis a skew added to Redis's TIME (its scripts never read a process's clock).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Redis } from 'ioredis';
import { connectRedis, createRedisStore } from '../src/store/redis';
import { createMemoryStore } from '../src/store/memory';
import { openSqliteStore } from '../src/store/sqlite';
import type { Store } from '../src/store/store';
// @ts-expect-error plain JS shared with the benchmarks
import { startRedis } from '../../test/servers.mjs';

export interface Clocked {
  store: Store;
  /** Moves the store's clock forward. */
  advance(ms: number): void;
  /** The store's clock now (ms). */
  now(): Promise<number>;
  redis?: Redis;
}

// The Redis runs need redis-server: .ci/run installs it, so on CI its absence is a failure, not a skip.
const server = await startRedis();
if (!server && process.env.CI) throw new Error('redis-server is not installed (.ci/run installs it)');
const clients: Redis[] = [];
afterAll(async () => {
  for (const client of clients) client.disconnect();
  server?.stop();
});

export const redisUrl: string | undefined = server?.url;

/** [name, a maker of a fresh store with its own clock] for each store; the Redis one is undefined without Redis. */
export const stores: [string, (() => Promise<Clocked>) | undefined][] = [
  [
    'memory',
    async () => {
      let t = Date.UTC(2026, 0, 1);
      const store = createMemoryStore({ now: () => t });
      return { store, advance: (ms) => void (t += ms), now: async () => t };
    },
  ],
  [
    'SQLite',
    async () => {
      let t = Date.UTC(2026, 0, 1);
      const store = openSqliteStore(mkdtempSync(join(tmpdir(), 'callswap-store-')), { now: () => t });
      return { store, advance: (ms) => void (t += ms), now: async () => t };
    },
  ],
  [
    'Redis',
    server &&
      (async () => {
        let skew = 0;
        const redis = await connectRedis(server.url);
        clients.push(redis);
        const store = createRedisStore(redis, { prefix: `t${Math.random().toString(36).slice(2)}:`, skew: () => skew });
        return { store, advance: (ms: number) => void (skew += ms), now: () => store.now(), redis };
      }),
  ],
];
