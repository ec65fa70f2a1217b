// npm run build (and prepack): compiles src/ to build/, makes the command executable, and writes
// config.schema.json from the schema the server validates with (a test checks the committed file is that).
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = new URL('../', import.meta.url);
process.chdir(fileURLToPath(here));
rmSync('build', { recursive: true, force: true });
execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', '.'], { stdio: 'inherit' });
chmodSync('build/cli.js', 0o755);
const { CONFIG_SCHEMA } = await import(new URL('build/config.js', here).href);
writeFileSync('config.schema.json', JSON.stringify(CONFIG_SCHEMA, null, 2) + '\n');
