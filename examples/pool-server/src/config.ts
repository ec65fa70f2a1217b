// The pool server's configuration: one JSON file, checked against a schema at start. Every limit is a named field
// with its default here; a partial object (`"rateLimit": { "perIp": 50 }`) is merged with the defaults field by field.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

export interface SiteConfig {
  /** Origins whose pages may use the public API for this site (besides the server's own); `["*"]` allows any. */
  allowedOrigins?: string[];
  /** What a call is worth in the ad platforms' conversion files. */
  conversion?: { name: string; value: number; currency: string };
  /** The time zone of the conversion files: an offset (`+0100`) or an IANA name (`Europe/Amsterdam`). Default +0000. */
  timeZone?: string;
  /** Site number (E.164) → its pools: rule pool name or channel → tracking numbers; `default` for the rest. */
  numbers: Record<string, { pools: Record<string, string[]> }>;
}

/** The pool server's configuration (a JSON file). */
export interface PoolConfig {
  /** Seconds a number stays reserved after each heartbeat. */
  ttl: number;
  /** Seconds between heartbeats the SDK is told to use. */
  heartbeat: number;
  /** Seconds a new lease holds its numbers until its first heartbeat: a page that never beats frees them soon. */
  claim: number;
  /** Seconds a released number rests before anyone else gets it; a call in that time still goes to its last visit. */
  quarantine: number;
  /** Live leases one IP address may hold per site. */
  maxLeasesPerIp: number;
  /** Seconds after a session ends that a late call record (`at` in the past) is still attributed to it. */
  attributionWindow: number;
  /** Days calls are kept. */
  retentionDays: number;
  /** Origins allowed for sites that list none of their own. */
  allowedOrigins: string[];
  /** Requests per window per IP (any endpoint) and per visitor (leases) before 429. */
  rateLimit: { perIp: number; perVisitor: number; windowSeconds: number };
  sites: Record<string, SiteConfig>;
  /** A site whose first number takes the calls to tracking numbers no pool knows (else they are rejected). */
  fallback?: string;
}

const seconds = (fallback: number, max = 31_536_000) => ({ type: 'integer', minimum: 0, maximum: max, default: fallback });
const positive = (fallback: number, max = 1_000_000_000) => ({ type: 'integer', minimum: 1, maximum: max, default: fallback });
const E164 = { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' };
const ORIGINS = { type: 'array', items: { type: 'string', pattern: '^(\\*|https?://[^/\\s]+)$' } };
/** What a call is worth when a site's `conversion` does not say (or the conversion file is named in the request). */
export const CONVERSION = { value: 0, currency: 'EUR' };

/** The config file's schema: types, bounds and defaults. */
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['sites'],
  properties: {
    $schema: { type: 'string' },
    ttl: positive(1800, 86_400),
    heartbeat: positive(60, 600),
    claim: positive(120, 86_400),
    quarantine: seconds(300, 86_400),
    maxLeasesPerIp: positive(10),
    attributionWindow: seconds(86_400),
    retentionDays: positive(90, 3650),
    allowedOrigins: { ...ORIGINS, default: [] },
    fallback: { type: 'string' },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { perIp: positive(120), perVisitor: positive(30), windowSeconds: positive(60, 86_400) },
    },
    sites: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,100}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['numbers'],
        properties: {
          allowedOrigins: ORIGINS,
          conversion: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 100 },
              value: { type: 'number', minimum: 0, default: CONVERSION.value },
              currency: { type: 'string', pattern: '^[A-Z]{3}$', default: CONVERSION.currency },
            },
          },
          timeZone: { type: 'string', pattern: '^([+-](0\\d|1[0-4])[0-5]\\d|[A-Za-z_]+(/[A-Za-z_+-]+)*)$' },
          numbers: {
            type: 'object',
            minProperties: 1,
            propertyNames: E164,
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              required: ['pools'],
              properties: {
                pools: {
                  type: 'object',
                  minProperties: 1,
                  propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,100}$' },
                  additionalProperties: { type: 'array', items: E164, uniqueItems: true },
                },
              },
            },
          },
        },
      },
    },
  },
};

const validate = new Ajv({ useDefaults: true, allErrors: false, strict: false }).compile<PoolConfig>(SCHEMA);

/** `/sites/demo/numbers/+44…` → `sites.demo.numbers.+44…`: the field as a person finds it in the file. */
const field = (pointer: string): string => pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');

/** Checks a parsed config and fills in defaults; throws an Error whose message names the field. */
export function checkConfig(raw: unknown, file = 'config'): PoolConfig {
  const fail = (message: string): never => {
    throw new Error(`${file}: ${message}`);
  };
  const config: unknown = structuredClone(raw);
  if (!validate(config)) {
    const [e] = validate.errors!;
    const at = field(e!.instancePath);
    if (e!.keyword == 'additionalProperties') fail(`unknown field "${[at, e!.params.additionalProperty].filter(Boolean).join('.')}"`);
    const key = e!.propertyName ?? e!.params.propertyName;
    if (key != null) fail(`"${at}" has a key that is not valid: "${key}"`);
    fail(`"${at || 'the file'}" ${e!.message}`);
  }
  const checked = config as PoolConfig;
  if (checked.fallback != null && !Object.hasOwn(checked.sites, checked.fallback)) fail(`"fallback" names no site: "${checked.fallback}"`);
  for (const [site, { timeZone }] of Object.entries(checked.sites)) {
    if (timeZone && !/^[+-]/.test(timeZone)) {
      try {
        new Intl.DateTimeFormat('en', { timeZone });
      } catch {
        fail(`"sites.${site}.timeZone" is not a time zone: "${timeZone}"`);
      }
    }
  }
  // A tracking number stands for one site number in one pool, or a call could not be attributed (and the pool's
  // order of free numbers would have two places for it).
  const seen = new Map<string, string>();
  for (const [site, { numbers }] of Object.entries(checked.sites)) {
    for (const [target, { pools }] of Object.entries(numbers)) {
      for (const [pool, list] of Object.entries(pools)) {
        for (const number of list) {
          const here = `sites.${site}.numbers.${target}.pools.${pool}`;
          if (seen.has(number)) fail(`"${number}" is in ${seen.get(number)} and in ${here}: a tracking number belongs to one pool`);
          if (number == target) fail(`"${here}" holds the site number itself`);
          seen.set(number, here);
        }
      }
    }
  }
  return checked;
}

/** Reads and checks a config file; throws an Error naming the file and the field. */
export function loadConfig(path: string): PoolConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return checkConfig(raw, path);
}
