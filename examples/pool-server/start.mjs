// npm start: the demo. Builds the SDK and the server only when their sources changed since the last build, then
// runs the pool server with the demo site (DEMO=1), its own admin token, and a short line per lease and per call
// (LOG=json for pino's JSON lines).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The newest modification time under these paths (ms); 0 when none exists. */
const newest = (...paths) =>
  Math.max(
    0,
    ...paths.map((path) => {
      const full = join(root, path);
      if (!existsSync(full)) return 0;
      const stat = statSync(full);
      return stat.isDirectory() ? newest(...readdirSync(full).map((name) => join(path, name))) : stat.mtimeMs;
    }),
  );
const build = (what, sources, output) => {
  if (newest(...sources) <= newest(output)) return console.log(`${what}: up to date`);
  console.log(`${what}: building…`);
  const result = spawnSync(process.platform == 'win32' ? 'npm.cmd' : 'npm', ['run', what == 'SDK' ? 'build' : 'build:server'], { cwd: root, stdio: 'inherit' });
  if (result.status) process.exit(result.status);
};

build('SDK', ['src', 'rollup.config.mjs', 'package.json', 'tsconfig.json'], 'dist/callswap.min.js');
build('server', ['examples/pool-server/src', 'examples/pool-server/tsconfig.json'], 'examples/pool-server/build/main.js');
const server = spawn(process.execPath, [join(root, 'examples/pool-server/build/main.js')], { stdio: 'inherit', env: { DEMO: '1', ...process.env } });
server.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
