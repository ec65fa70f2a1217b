// Servers the tests and benchmarks start on loopback: the pool server (built) and Debian's redis-server.
// Shared by the pool server's process tests, the demo spec and the benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * A loopback port that was free a moment ago, drawn from 20000–32767: below Linux's ephemeral range (32768+), so an
 * outgoing connection of another test cannot hold it (CI once lost a run to one on 43770). The servers started here
 * still retry on another port when one is taken between this probe and their listen.
 */
export async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    const free = await new Promise((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** The admin token the tests and benchmarks give the servers they start. */
export const ADMIN_TOKEN = 'test-admin-token';

export { demoEnv } from '../examples/site/demo.mjs';

/** The pool server's command, built (`npm run build:server`). */
export const SERVER_CLI = join(root, 'server/build/cli.js');

/** A new empty data directory for a pool server's SQLite store. */
export const tempDataDir = () => mkdtempSync(join(tmpdir(), 'callswap-data-'));

/**
 * Starts the built pool server (server/build/cli.js) on 127.0.0.1 with `env` (CONFIG, DEMO, STATIC, STORE,
 * REDIS_URL…; a new DATA_DIR unless given) and waits until /health answers. Returns its base URL, the process, what
 * it printed so far, its data directory and a stop function.
 */
export async function startPoolServer(env = {}, port = undefined, { logs = false, tries = 3 } = {}) {
  port ??= await freePort();
  env = { DATA_DIR: tempDataDir(), ...env };
  const child = spawn(process.execPath, [SERVER_CLI], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...(!logs && { QUIET: '1' }), ADMIN_TOKEN, ...env },
    // With logs on (a production server's info lines) they are written, to nowhere: a benchmark pays for them.
    stdio: ['ignore', logs ? 'ignore' : 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout?.on('data', (d) => (output.text += d));
  child.stderr.on('data', (d) => (output.text += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && child.exitCode == null; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return { base, child, output, dataDir: env.DATA_DIR, stop: () => child.kill('SIGKILL') };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  // Another test's server took the port meanwhile: try another (only when no port was asked for).
  if (output.text.includes('EADDRINUSE') && tries > 1) return startPoolServer(env, undefined, { logs, tries: tries - 1 });
  throw new Error(`pool server did not start: ${output.text}`);
}

/**
 * Starts redis-server on loopback; undefined when it is not installed. Without persistence, unless `aof`: then with
 * the append-only file in `dir` (fsync every second, as the server's README asks), so `restart()` — SIGTERM, then a
 * new redis-server on the same port and files — finds the data again.
 */
export async function startRedis({ aof = false, dir = undefined, port = undefined, tries = 3 } = {}) {
  if (spawnSync('redis-server', ['--version']).error) return undefined;
  const chosen = port ?? (await freePort());
  const files = aof ? (dir ?? tempDataDir()) : undefined;
  const persistence = aof ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', files, '--save', ''] : ['--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', ...persistence], { stdio: 'pipe' });
  const ready = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => d.toString().includes('Ready to accept') && resolve(true));
    child.on('error', reject);
    // Exited at once: the port was taken.
    child.on('exit', () => resolve(false));
    setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
  });
  if (!ready) {
    if (tries > 1 && port === undefined) return startRedis({ aof, dir, tries: tries - 1 });
    throw new Error('redis-server did not start');
  }
  return {
    url: `redis://127.0.0.1:${chosen}`,
    child,
    stop: () => child.kill('SIGKILL'),
    /** Stops it as an operator would (SIGTERM: the append-only file is flushed) and resolves when it is gone. */
    shutdown: () => new Promise((resolve) => (child.exitCode != null ? resolve(undefined) : (child.once('exit', resolve), child.kill('SIGTERM')))),
    /** A new redis-server on the same port with the same files. */
    restart: () => startRedis({ aof, dir: files, port: chosen }),
  };
}
