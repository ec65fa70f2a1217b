#!/usr/bin/env node
// The `callswap-server` command: runs the server, checks a config file, or backs up the data while the server runs.
import { readFileSync } from 'node:fs';
import { loadConfig } from './config.js';
import { ENVIRONMENT, readSettings } from './env.js';
import { runServer } from './main.js';
import { backupSqlite } from './store/sqlite.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `callswap-server ${version}: the callswap pool server

Usage:
  callswap-server [--config FILE]     run the server (the config file can also be CONFIG=FILE)
  callswap-server check-config FILE   check a config file: prints what is wrong, exits 1 if anything is
  callswap-server backup FILE         write a consistent copy of the SQLite data (DATA_DIR) to FILE, also while
                                      the server runs
  callswap-server --help | --version

Environment:
${Object.entries(ENVIRONMENT)
  .map(([name, { default: fallback, what }]) => `  ${name.padEnd(18)}${what.replace(/`/g, '')}${fallback ? ` (default ${fallback})` : ''}`)
  .join('\n')}

Guide: https://github.com/callswap/callswap/tree/main/server#readme`;

/** Runs one command line; resolves with the exit code for commands that end, never for the server. */
export async function cli(args: string[]): Promise<number | undefined> {
  const [first, second] = args;
  if (first == '--help' || first == '-h' || first == 'help') return console.log(HELP), 0;
  if (first == '--version' || first == '-v') return console.log(version), 0;
  if (first == 'check-config') {
    if (!second) throw new Error('check-config needs the config file: callswap-server check-config pool.json');
    const config = loadConfig(second);
    const sites = Object.values(config.sites);
    const numbers = sites.flatMap((site) => Object.values(site.numbers).flatMap((n) => Object.values(n.pools).flat()));
    console.log(`${second}: ok (${sites.length} site${sites.length == 1 ? '' : 's'}, ${numbers.length} tracking number${numbers.length == 1 ? '' : 's'})`);
    return 0;
  }
  if (first == 'backup') {
    if (!second) throw new Error('backup needs the file to write: callswap-server backup callswap-backup.db');
    const { dataDir } = readSettings({ ...process.env, CONFIG: '-' });
    const { calls } = backupSqlite(dataDir, second);
    console.log(`${second}: a copy of ${dataDir} (${calls} call${calls == 1 ? '' : 's'})`);
    return 0;
  }
  let configFile: string | undefined;
  if (first == '--config' || first == '-c') {
    if (!second) throw new Error('--config needs a file: callswap-server --config pool.json');
    configFile = second;
  } else if (first?.startsWith('--config=')) configFile = first.slice(9);
  else if (first) throw new Error(`unknown command or option "${first}": callswap-server --help lists them`);
  if (args.length > (configFile && !first!.includes('=') ? 2 : 1)) throw new Error(`unexpected "${args.at(-1)}": callswap-server --help lists the commands`);
  await runServer(readSettings(process.env, configFile));
  return;
}

cli(process.argv.slice(2)).then(
  (code) => code !== undefined && process.exit(code),
  (e: Error) => {
    console.error(`callswap-server: ${e.message}`);
    process.exit(1);
  },
);
