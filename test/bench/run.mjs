// npm run bench: every benchmark, printed as markdown tables. `-- --update-readme` also writes them into
// README.md between the bench markers (figures vary between runs, so unlike sizes they are not checked).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { benchDashboard } from './dashboard.mjs';
import { benchExport } from './export.mjs';
import { benchLoad } from './load.mjs';
import { moduleTable } from './modules.mjs';
import { benchPage } from './page.mjs';
import { benchSource } from './source.mjs';
import { benchSwap } from './swap.mjs';
import { measure, table } from './size.mjs';

const lines = [];
const out = (line) => (console.log(line), lines.push(line));
out(table(await measure()));
out('');
out(moduleTable('dist/callswap.min.js'));
out('');
out('| detectSource (Node) | median | goal |\n| --- | ---: | ---: |');
for (const r of benchSource()) out(`| ${r.name} | ${r.value.toFixed(2)} ${r.unit} | ≤ ${r.goal} ${r.unit} |`);
out('');
out('| swap engine (Chromium) | measured | goal |\n| --- | ---: | ---: |');
for (const r of await benchSwap()) out(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);

out('');
out('| under load (Chromium; two busy cores, page tasks of 50 ms every 100 ms) | measured | goal |\n| --- | ---: | ---: |');
for (const r of await benchLoad()) out(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);
out('');
out('| in the browser, against the pool server | measured | goal |\n| --- | ---: | ---: |');
for (const r of await benchPage()) out(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);
out('');
// The pool server's load test runs in its own process (it starts servers and kills one).
const load = spawnSync(process.execPath, [new URL('./pool-load.mjs', import.meta.url).pathname], { encoding: 'utf8' });
out(load.stdout.trim() || `pool load test failed: ${load.stderr}`);
out('');
out('| pool server export (loopback, SQLite store) | measured | goal |\n| --- | ---: | ---: |');
for (const r of await benchExport()) out(`| ${r.name} | ${r.value} | ${r.goal} |`);
out('');
out('| dashboard (100,000 calls and 1,000,000 sessions over a year, SQLite store) | measured | goal |\n| --- | ---: | ---: |');
for (const r of await benchDashboard()) out(`| ${r.name} | ${r.value} | ${r.goal} |`);

if (process.argv.includes('--update-readme')) {
  const file = new URL('../../README.md', import.meta.url);
  const readme = readFileSync(file, 'utf8');
  const body = `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}, Chromium):\n\n${lines.join('\n')}`;
  writeFileSync(file, readme.replace(/(<!-- bench:start -->)[^]*?(<!-- bench:end -->)/, `$1\n${body}\n$2`));
}
