// npm start: the demo. Builds the SDK and the server only when their sources changed since the last build, then
// runs the pool server (the callswap-server package) with this site and the SDK's dist/ (STATIC), the demo's config,
// its own admin token (DEMO=1), and a short line per lease and per call (LOG=json for pino's JSON lines). Its data
// stays in .tmp/demo-data (DATA_DIR), so a restart keeps the calls and the dashboard.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoEnv } from './demo.mjs';

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
build('server', ['server/src', 'server/tsconfig.json'], 'server/build/cli.js');
const server = spawn(process.execPath, [join(root, 'server/build/cli.js')], {
  stdio: 'inherit',
  env: { ...demoEnv(), LOG: 'short', DATA_DIR: join(root, '.tmp/demo-data'), ...process.env },
});
server.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
