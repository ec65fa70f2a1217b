// @vitest-environment node
// The server's README states what the code does: its tables of environment variables and config fields are
// checked against src/env.ts and the config schema, so a variable or field added to one and not the other fails.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CONFIG_SCHEMA } from '../src/config';
import { ENVIRONMENT } from '../src/env';

const readme = readFileSync('server/README.md', 'utf8');
/** The rows of the table that follows `heading`: [first cell, second cell, …], the header row left out. */
const table = (heading: string): string[][] => {
  const section = readme.slice(readme.indexOf(heading));
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
    if (!section.split('\n')[section.split('\n').indexOf(line) + 1]?.startsWith('|')) break;
  }
  return rows;
};

test('the environment table lists every variable src/env.ts reads, with its default and what it does', () => {
  const rows = table('## Running');
  expect(rows.map(([name]) => name.replace(/`/g, ''))).toEqual(Object.keys(ENVIRONMENT));
  for (const [name, fallback, what] of rows) {
    const variable = ENVIRONMENT[name.replace(/`/g, '') as keyof typeof ENVIRONMENT];
    expect(fallback.replace(/`/g, ''), name).toBe(variable.default || '—');
    expect(what, name).toBe(variable.what);
  }
});

test('the config table lists every field of the schema, with its default', () => {
  const rows = table('## Config');
  const fields = Object.keys(CONFIG_SCHEMA.properties).filter((name) => name != '$schema');
  expect(rows.map(([name]) => name.replace(/`/g, '')).sort()).toEqual(fields.sort());
  for (const [name, fallback] of rows) {
    const schema = CONFIG_SCHEMA.properties[name.replace(/`/g, '') as keyof typeof CONFIG_SCHEMA.properties] as { default?: unknown };
    if (typeof schema.default == 'number') expect(fallback, name).toBe(String(schema.default));
  }
});
