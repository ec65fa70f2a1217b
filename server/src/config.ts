// The pool server's configuration: one JSON file, checked against a schema at start. Every limit is a named field
// with its default here; a partial object (`"rateLimit": { "perIp": 50 }`) is merged with the defaults field by field.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { E164 as E164_RE, PATTERNS } from './routes/openapi.js';

export interface SiteConfig {
  /** Origins whose pages may use the public API for this site (besides the server's own); `["*"]` allows any. */
  allowedOrigins?: string[];
  /** What a call is worth in the ad platforms' conversion files, and which calls count. */
  conversion?: { name: string; value: number; currency: string; minDuration: number; hashedPhone: boolean };
  /**
   * Whether the site's visitors are in the EEA (default): then a call is exported to the ad platforms only with
   * ad_user_data granted (Google's EU user consent rule); outside it, unless ad_user_data was denied.
   */
  eea?: boolean;
  /** A read-only credential for the conversion files (HTTP Basic): what Google Ads' scheduled upload sends. */
  export?: { username?: string; password: string };
  /** The number the business line sees a forwarded call come from: the tracking number (default) or the caller's. */
  callerId?: 'caller' | 'tracking';
  /** Google Analytics 4: answered calls sent through the Measurement Protocol. */
  ga4?: { measurementId: string; apiSecret: string; eventName: string };
  /** The time zone of the conversion files: an offset (`+0100`) or an IANA name (`Europe/Amsterdam`). Default +0000. */
  timeZone?: string;
  /** Days a non-direct source stays attributed to later direct visits through the pool's own cookie. Default 30. */
  attributionDays?: number;
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

const seconds = (fallback: number, description: string, max = 31_536_000) => ({ type: 'integer', minimum: 0, maximum: max, default: fallback, description });
const positive = (fallback: number, description: string, max = 1_000_000_000) => ({ type: 'integer', minimum: 1, maximum: max, default: fallback, description });
/** A phone number in E.164: what every number in the config is written as. */
export const E164_PATTERN = PATTERNS.e164;
const E164 = { type: 'string', pattern: E164_PATTERN };
/** A site id, as the SDK's `site` names it. */
export const SITE_PATTERN = PATTERNS.site;
const ORIGINS = { type: 'array', items: { type: 'string', pattern: '^(\\*|https?://[^/\\s]+)$' } };
/**
 * What a call is worth when a site's `conversion` does not say (or the conversion file is named in the request), and
 * the shortest answered call (seconds) that counts as one.
 */
export const CONVERSION = { value: 0, currency: 'EUR', minDuration: 60 };
/** The GA4 event a call is sent as when a site's `ga4` does not name one. */
export const GA4_EVENT = 'phone_call';

/** The config file's JSON Schema: types, bounds, defaults and what each field does. config.schema.json is this. */
export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'callswap-server config',
  type: 'object',
  additionalProperties: false,
  required: ['sites'],
  properties: {
    $schema: { type: 'string', description: 'this schema (config.schema.json), for editors' },
    ttl: positive(1800, 'seconds a number stays reserved after each heartbeat', 86_400),
    heartbeat: positive(60, 'seconds between heartbeats the SDK is told to use', 600),
    claim: positive(120, 'seconds a new lease holds its numbers until its first heartbeat: pages that never beat free them soon', 86_400),
    quarantine: seconds(300, 'seconds a released number rests before anyone else gets it', 86_400),
    maxLeasesPerIp: positive(10, 'live leases one address (IPv6: one /64) may hold per site; more get 429 until one ends'),
    attributionWindow: seconds(86_400, 'seconds after a lease ended that a call to its number still goes to it, if nobody held the number since'),
    retentionDays: positive(90, 'days calls and hourly counters are kept', 3650),
    allowedOrigins: { ...ORIGINS, default: [], description: 'origins whose pages may use a site that lists none of its own (["*"]: any); the server\'s own origin always may' },
    fallback: { type: 'string', description: 'a site whose first number takes calls to numbers no pool knows (else they are rejected)' },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'requests per window per address (any endpoint) and leases per visitor id',
      properties: {
        perIp: positive(120, 'requests per window per address'),
        perVisitor: positive(30, 'leases per window per visitor id'),
        windowSeconds: positive(60, 'the window, in seconds', 86_400),
      },
    },
    sites: {
      type: 'object',
      minProperties: 1,
      description: 'site id → its numbers and settings',
      propertyNames: { pattern: SITE_PATTERN },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['numbers'],
        properties: {
          allowedOrigins: { ...ORIGINS, description: 'origins whose pages may use this site (besides the server\'s own); ["*"] allows any' },
          conversion: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            description: 'what a call is worth in the ad platforms\' conversion files',
            properties: {
              name: {
                type: 'string',
                minLength: 1,
                maxLength: 100,
                // A spreadsheet opening the file would read a leading =, +, - or @ as a formula.
                pattern: '^[^=+\\-@\\t\\r]',
                description: 'the conversion action\'s name in the ad platform (not starting with =, +, - or @)',
              },
              value: { type: 'number', minimum: 0, default: CONVERSION.value, description: 'the value of one call' },
              currency: { type: 'string', pattern: '^[A-Z]{3}$', default: CONVERSION.currency, description: 'ISO 4217 code' },
              minDuration: { type: 'integer', minimum: 0, maximum: 86_400, default: CONVERSION.minDuration, description: 'seconds an answered call must last to count (default 60)' },
              hashedPhone: {
                type: 'boolean',
                default: false,
                description: 'enhanced conversions for leads: the caller\'s number, SHA-256 of its E.164 form, in the files (with ad_user_data granted), also for calls without a click id',
              },
            },
          },
          eea: {
            type: 'boolean',
            default: true,
            description: 'the site\'s visitors are in the EEA (default): a call is exported only with ad_user_data granted; false: unless it was denied',
          },
          export: {
            type: 'object',
            additionalProperties: false,
            required: ['password'],
            description: 'a read-only credential for the conversion files, as HTTP Basic (what Google Ads\' scheduled upload sends)',
            properties: {
              username: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^:]+$', description: 'the user name (any, when left out)' },
              password: { type: 'string', minLength: 16, maxLength: 200, description: 'the password, or a token used as one: at least 16 characters' },
            },
          },
          callerId: {
            enum: ['caller', 'tracking'],
            default: 'tracking',
            description: 'the number the business line sees a forwarded call come from: the tracking number (default: it knows the call is tracked) or the caller\'s (to call back)',
          },
          ga4: {
            type: 'object',
            additionalProperties: false,
            required: ['measurementId', 'apiSecret'],
            description: 'Google Analytics 4: each answered call of at least minDuration sent as an event (Measurement Protocol)',
            properties: {
              measurementId: { type: 'string', pattern: '^G-[A-Z0-9]{4,20}$', description: 'the web data stream\'s measurement id (G-…)' },
              apiSecret: { type: 'string', minLength: 8, maxLength: 100, description: 'a Measurement Protocol API secret of that stream' },
              eventName: {
                type: 'string',
                // GA4 drops events named with its own prefixes or one of the names it collects itself.
                pattern: '^(?!(firebase_|ga_|google_))[A-Za-z][A-Za-z0-9_]{0,39}$',
                not: { enum: ['error', 'first_open', 'first_visit', 'in_app_purchase', 'screen_view', 'session_start', 'user_engagement', 'ad_click', 'ad_impression'] },
                default: GA4_EVENT,
                description: 'the event\'s name (default phone_call): letters, digits, _, not one GA4 keeps (session_start, google_…)',
              },
            },
          },
          attributionDays: {
            type: 'integer',
            minimum: 1,
            maximum: 730,
            description: 'days a non-direct source stays attributed to later direct visits through the pool\'s own cookie (default 30; the SDK\'s attributionDays)',
          },
          timeZone: {
            type: 'string',
            pattern: '^([+-](0\\d|1[0-4])[0-5]\\d|[A-Za-z_]+(/[A-Za-z_+-]+)*)$',
            description: 'the zone of the conversion files\' times: +0100 or Europe/Amsterdam (default +0000)',
          },
          numbers: {
            type: 'object',
            minProperties: 1,
            description: 'site number (E.164, +31201234567) → its pools',
            propertyNames: E164,
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              required: ['pools'],
              properties: {
                pools: {
                  type: 'object',
                  minProperties: 1,
                  description: 'rule pool name or channel → tracking numbers (E.164); "default" takes the rest',
                  propertyNames: { pattern: SITE_PATTERN },
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

const validate = new Ajv({ useDefaults: true, allErrors: false, strict: false, verbose: true }).compile<PoolConfig>(CONFIG_SCHEMA);

/** `/sites/demo/numbers/+44…` → `sites.demo.numbers.+44…`: the field as a person finds it in the file. */
const field = (pointer: string): string => pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');

/** Of `names`, the one fewest edits away from `name` (case ignored), if it is close enough to be what was meant. */
export function closest(name: string, names: string[]): string | undefined {
  const a = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(a.length / 3)) + 1;
  for (const candidate of names) {
    const b = candidate.toLowerCase();
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] == b[j - 1] ? 0 : 1));
      previous = row;
    }
    if (previous[b.length]! < bestDistance) [best, bestDistance] = [candidate, previous[b.length]!];
  }
  return best;
}

/**
 * A number written internationally (`+31 (0)20 123 4567`, `0031 20 1234567`) as the config wants it
 * (`+31201234567`); undefined for a national one, whose country code only its writer knows.
 */
const asE164 = (written: string): string | undefined => {
  const digits = written.replace(/\(0\)/, '').replace(/[^\d+]/g, '').replace(/^00/, '+');
  return E164_RE.test(digits) ? digits : undefined;
};

/** Checks a parsed config and fills in defaults; throws an Error whose message names the field. */
export function checkConfig(raw: unknown, file = 'config'): PoolConfig {
  const fail = (message: string): never => {
    throw new Error(`${file}: ${message}`);
  };
  const config: unknown = structuredClone(raw);
  if (!validate(config)) {
    const [e] = validate.errors!;
    const at = field(e!.instancePath);
    const phone = (value: string, what: string) => {
      const wanted = asE164(value);
      fail(`"${value}" (${at}): write ${what} ${wanted ? `as ${wanted}` : 'with their country code, a + and the digits only, as +31201234567'}`);
    };
    if (e!.keyword == 'additionalProperties') {
      const name = e!.params.additionalProperty as string;
      const known = Object.keys((e!.parentSchema as { properties?: object }).properties ?? {}).filter((k) => k != '$schema');
      const meant = closest(name, known);
      fail(`unknown field "${[at, name].filter(Boolean).join('.')}"${meant ? ` (did you mean "${meant}"?)` : ''}`);
    }
    const key = e!.propertyName ?? (e!.params as { propertyName?: string }).propertyName;
    if (key != null && /\.numbers$|^numbers$/.test(at)) phone(key, 'site numbers');
    if (key != null && /(^|\.)sites$/.test(at)) fail(`"${key}" in "sites" is not a site id: letters, digits, ".", "-" and "_", at most 100`);
    if (key != null && /\.pools$/.test(at)) fail(`"${key}" in "${at}" is not a pool name: letters, digits, ".", "-" and "_", at most 100`);
    if (key != null) fail(`"${at}" has a key that is not valid: "${key}"`);
    if (e!.keyword == 'pattern' && /\.pools\.[^.]+\.\d+$/.test(at)) phone(String(e!.data), 'tracking numbers');
    fail(`"${at || 'the file'}" ${e!.message}${e!.keyword == 'pattern' ? ` (it is "${String(e!.data)}")` : ''}`);
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
    throw new Error(`${path}: cannot be read (${(e as NodeJS.ErrnoException).code})`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  return checkConfig(raw, path);
}
