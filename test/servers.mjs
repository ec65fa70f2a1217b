// Servers the tests and benchmarks start on loopback: the reference pool server (built) and Debian's redis-server.
// Shared by the pool-server conformance suite, the demo spec and the benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** A random high port on loopback. */
export const freePort = () => 20000 + Math.floor(Math.random() * 30000);

/**
 * Starts examples/pool-server/build/main.js (needs `npm run build:server`) on 127.0.0.1 with `env` (CONFIG,
 * STATIC, REDIS_URL…) and waits until /health answers. Returns its base URL, the process and a stop function.
 */
export async function startPoolServer(env = {}, port = freePort()) {
  const child = spawn(process.execPath, ['examples/pool-server/build/main.js'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', QUIET: '1', ...env },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return { base, child, stop: () => child.kill('SIGKILL') };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error('pool server did not start');
}

/** Starts redis-server on a free loopback port, no persistence; undefined when it is not installed. */
export async function startRedis() {
  if (spawnSync('redis-server', ['--version']).error) return undefined;
  const port = freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'pipe' });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => d.toString().includes('Ready to accept') && resolve());
    child.on('error', reject);
    setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
  });
  return { url: `redis://127.0.0.1:${port}`, child, stop: () => child.kill('SIGKILL') };
}
