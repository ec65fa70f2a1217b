// detectSource speed in Node: microseconds per call over a realistic mix of landing URLs and referrers, with and
// without custom rules. Prints a table; the goal (#3) is ≤ 20 µs per call.
import { performance } from 'node:perf_hooks';
import { detectSource } from '../../dist/source.js';

const INPUTS = [
  { url: 'https://www.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=plumber&gclid=EAIaIQobChMI', referrer: 'https://www.google.com/' },
  { url: 'https://www.example.com/contact', referrer: 'https://www.google.nl/' },
  { url: 'https://www.example.com/', referrer: 'https://l.facebook.com/' },
  { url: 'https://www.example.com/diensten/lekkage?fbclid=IwAR0abc', referrer: '' },
  { url: 'https://www.example.com/', referrer: 'https://chatgpt.com/' },
  { url: 'https://www.example.com/blog/post-1', referrer: 'https://www.partner-site.org/links' },
  { url: 'https://www.example.com/', referrer: '' },
  { url: 'https://www.example.com/?msclkid=abc123', referrer: 'https://www.bing.com/' },
];
const RULES = [
  { pool: 'emergency', path: '/spoed*' },
  { pool: 'brand', channel: 'paid_search', campaign: '~brand' },
  { pool: 'partner', params: { ref: 'partner-*' } },
];

export function benchSource(calls = 200_000) {
  const rows = [];
  for (const [name, rules] of [['without rules', undefined], ['with 3 rules', RULES]]) {
    // The inputs are made before the clock starts: an object spread per call would cost more than some calls.
    const inputs = INPUTS.map((input) => ({ ...input, rules }));
    for (let i = 0; i < 20_000; i++) detectSource(inputs[i % inputs.length]); // warm up
    const runs = [];
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      for (let i = 0; i < calls / 5; i++) detectSource(inputs[i % inputs.length]);
      runs.push(((performance.now() - start) * 1000) / (calls / 5));
    }
    runs.sort((a, b) => a - b);
    rows.push({ name: `detectSource ${name}`, value: runs[2], unit: 'µs/call', goal: 20 });
  }
  return rows;
}

if (import.meta.url == `file://${process.argv[1]}`) {
  console.log('| benchmark | median | goal |\n| --- | ---: | ---: |');
  for (const r of benchSource()) console.log(`| ${r.name} | ${r.value.toFixed(2)} ${r.unit} | ≤ ${r.goal} ${r.unit} |`);
}
