// npm run bench: every benchmark, printed as markdown tables. Needs a build (npm run build).
import { benchSource } from './source.mjs';
import { benchSwap } from './swap.mjs';
import { measure, table } from './size.mjs';

console.log('## Sizes\n\n' + table(await measure()) + '\n');
console.log('## Source detection (Node)\n\n| benchmark | median | goal |\n| --- | ---: | ---: |');
for (const r of benchSource()) console.log(`| ${r.name} | ${r.value.toFixed(2)} ${r.unit} | ≤ ${r.goal} ${r.unit} |`);
console.log('\n## Swap engine (Chromium)\n\n| benchmark | measured | goal |\n| --- | ---: | ---: |');
for (const r of await benchSwap()) console.log(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);
