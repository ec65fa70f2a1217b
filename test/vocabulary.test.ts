// @vitest-environment node
// One vocabulary: openapi.json is the source of the protocol's patterns, src/init/config.ts of the config's fields
// and defaults. Every copy — the SDK's, the server's, the GTM template's, the README's — is held to them here, so a
// change that misses one fails.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SITE_PATTERN, E164_PATTERN } from '../server/src/config';
import { openapi, PATTERNS } from '../server/src/routes/openapi';
import { DEFAULTS, FIELDS } from '../src/init/config';
import { E164, SESSION, SITE as SDK_SITE } from '../src/lease/protocol';
import { filesUnder } from './helpers';

const schemas = openapi.components.schemas;
const gtm = JSON.parse(readFileSync('src/gtm/parameters.json', 'utf8')) as { name: string; valueValidators?: { args?: string[] }[] }[];
const readme = readFileSync('README.md', 'utf8');

describe('the protocol\'s patterns come from openapi.json', () => {
  test('the server reads them from it', () => {
    expect(PATTERNS).toEqual({ e164: schemas.E164.pattern, site: schemas.Site.pattern, session: schemas.SessionId.pattern });
    expect([E164_PATTERN, SITE_PATTERN]).toEqual([schemas.E164.pattern, schemas.Site.pattern]);
  });

  test('the SDK writes them as openapi.json does', () => {
    expect([E164.source, SDK_SITE.source, SESSION.source]).toEqual([schemas.E164.pattern, schemas.Site.pattern, schemas.SessionId.pattern]);
  });

  test("the GTM template's site field checks the same pattern", () => {
    const site = gtm.find((p) => p.name == 'site')!;
    expect(site.valueValidators!.flatMap((v) => v.args || [])).toContain(schemas.Site.pattern);
  });

  test('no other copy of a pattern is written in the SDK or the server', () => {
    const sources = ['src', 'server/src'].flatMap((dir) => filesUnder(dir)).filter((f) => /\.(ts|mjs)$/.test(f));
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      const copies = (text.match(/\{6,14\}|\{1,100\}|\{8,128\}/g) || []).length;
      expect(copies, file).toBe(file == 'src/lease/protocol.ts' ? 3 : 0);
    }
  });
});

describe("the config's fields and defaults come from src/init/config.ts", () => {
  const rows = [...readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Events')).matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()]);

  test("the README's table lists every field, in order", () => {
    expect(rows.map(([name]) => name)).toEqual(Object.keys(FIELDS));
  });

  test("the README's defaults are DEFAULTS", () => {
    for (const [name, value] of Object.entries(DEFAULTS)) expect(rows.find(([field]) => field == name)?.[1], name).toBe(String(value));
  });

  test('the GTM template sets only fields the config has', () => {
    const set = [...readFileSync('src/gtm/template.js', 'utf8').matchAll(/config\.(\w+) =/g)].map((m) => m[1]);
    expect(set.length).toBeGreaterThan(3);
    for (const name of set) expect(Object.keys(FIELDS), name).toContain(name);
  });
});

