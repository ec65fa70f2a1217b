// What each source module costs in the script tag: the minified bytes the source map attributes to it (as
// source-map-explorer counts them), and its share of the gzip size in proportion. `node test/bench/modules.mjs`.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes one line's segments of a source map's `mappings`: [column, source index or -1]. */
const decode = (mappings) => {
  const lines = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    const segments = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = B64.indexOf(char);
        value += (digit & 31) << shift;
        shift += 5;
        if (!(digit & 32)) {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = shift = 0;
        }
      }
      column += values[0];
      if (values.length > 1) source += values[1];
      segments.push([column, values.length > 1 ? source : -1]);
    }
    lines.push(segments);
  }
  return lines;
};

/** [module, minified bytes, gzip bytes in proportion], largest first, for a built file and its map. */
export function modules(file) {
  const code = readFileSync(file, 'utf8');
  const map = JSON.parse(readFileSync(file + '.map', 'utf8'));
  const bytes = new Map();
  const lines = code.split('\n');
  decode(map.mappings).forEach((segments, i) => {
    const line = lines[i] || '';
    segments.forEach(([column, source], k) => {
      const end = segments[k + 1]?.[0] ?? line.length;
      const name = source < 0 ? '(no source)' : map.sources[source].replace(/^(\.\.\/)+/, '').replace(/^node_modules\//, '');
      bytes.set(name, (bytes.get(name) || 0) + Buffer.byteLength(line.slice(column, end)));
    });
    // Bytes before the first segment (the banner) belong to no module.
    if (segments[0]?.[0]) bytes.set('(no source)', (bytes.get('(no source)') || 0) + segments[0][0]);
  });
  const total = Buffer.byteLength(code);
  const gzip = gzipSync(code, { level: 9 }).length;
  return [...bytes].sort((a, b) => b[1] - a[1]).map(([name, min]) => [name, min, Math.round((min / total) * gzip)]);
}

export const moduleTable = (file) =>
  [
    `| ${file}: module | minified | gzip (share) |`,
    '| --- | ---: | ---: |',
    ...modules(file).map(([name, min, gzip]) => `| ${name} | ${min.toLocaleString('en-US')} B | ${gzip.toLocaleString('en-US')} B |`),
  ].join('\n');

if (import.meta.url == `file://${process.argv[1]}`) console.log(moduleTable(process.argv[2] || 'dist/callswap.min.js'));
