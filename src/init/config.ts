// The config: its fields, their defaults, and every check, in one place and before anything happens (a config
// error changes nothing on the page, stores nothing and sends nothing).
import { invalid } from '../lib/invalid.js';
import { TIMEOUT } from '../lease/createLeaseClient.js';
import { SITE } from '../lease/protocol.js';
import { ATTRIBUTION_DAYS, SESSION_TIMEOUT } from '../source/attribute.js';
import { compileRules } from '../source/rules.js';
import type { Channel, Rule } from '../source/types.js';
import { parsePhone } from '../swap/phone.js';

/** What a page configures. */
export interface Config {
  /** The site's id at the pool. */
  site: string;
  /** The site's own phone numbers, in any human format (national ones need `country`). */
  numbers: string[];
  /**
   * The pool endpoint: an absolute URL (`https://pool.example.com/v1`), or a path on this site starting with `/`
   * (`/v1`). Without it, only static numbers are shown.
   */
  endpoint?: string;
  /**
   * Numbers shown without the pool, by rule pool name or channel. A string is for the site's first number (its
   * main line): `{ paid_search: "+31 20 …" }`; per site number: `{ paid_search: { "+31201234567": "+31 20 …" } }`.
   * Shown without an endpoint, without storage consent, and as the fallback when the pool fails or has no free
   * number (never while the first lease is on its way). The pool name wins over the channel.
   */
  static?: Record<string, string | Record<string, string>>;
  /** Custom rules that name a pool (see `Rule`). */
  rules?: Rule[];
  /** Channels that get a pool number. Default: all. */
  leaseFor?: Channel[];
  /** ISO 3166-1 alpha-2 country of numbers written nationally. */
  country?: string;
  /** Minutes without activity that end a session. Default 30. */
  sessionTimeout?: number;
  /** Days a non-direct source stays attributed. Default 30. */
  attributionDays?: number;
  /** Cookie domain; default the registrable domain, found by test-writing. */
  cookieDomain?: string;
  /** Store nothing and send no identifier until consent is granted. Default false. */
  requireConsent?: boolean;
  /** Milliseconds before a lease request gives up. Default 3000. */
  timeout?: number;
  debug?: boolean;
  /** Where to swap. Default the whole document (`<head>` is never touched). */
  root?: Node;
  /** Keep swapping content added later. Default true. */
  observe?: boolean;
  /** Push `callswap.swap` to `window.dataLayer` when it exists. Default true. */
  dataLayer?: boolean;
  /** More attributes that hold numbers as text. */
  attributes?: string[];
  /** A CSS selector of more elements to leave alone. */
  ignore?: string;
}

/**
 * Every config field and what it takes: `b` true or false, `s` a string, `l` a list (comma-separated on the script
 * tag), `j` an object (JSON on the script tag), `[min, max]` a number in that range, `n` a DOM node. The script tag's
 * data-attributes are read by it; a field that is none of these is named with the closest of them.
 */
export const FIELDS: Record<keyof Config, 'b' | 's' | 'l' | 'j' | 'n' | [min: number, max: number]> = {
  site: 's',
  numbers: 'l',
  endpoint: 's',
  static: 'j',
  rules: 'j',
  leaseFor: 'l',
  country: 's',
  sessionTimeout: [1, 1440],
  attributionDays: [0, 730],
  cookieDomain: 's',
  requireConsent: 'b',
  timeout: [100, 30_000],
  debug: 'b',
  root: 'n',
  observe: 'b',
  dataLayer: 'b',
  attributes: 'l',
  ignore: 's',
};

/** What each kind of field must be, as a warning says it. */
const KINDS = { b: 'true or false', s: 'a string', l: 'an array', j: 'an object', n: 'a DOM node' };

/** Every default of the config. (Those the modules below also use alone are defined next to them.) */
export const DEFAULTS: Required<Pick<Config, 'sessionTimeout' | 'attributionDays' | 'timeout' | 'requireConsent' | 'debug' | 'observe' | 'dataLayer'>> = {
  sessionTimeout: SESSION_TIMEOUT,
  attributionDays: ATTRIBUTION_DAYS,
  timeout: TIMEOUT,
  requireConsent: false,
  debug: false,
  observe: true,
  dataLayer: true,
};

/**
 * The endpoint as an absolute URL without trailing slash: https, http on this machine, or a path on this site. A
 * host without a scheme (`pool.example.com/v1`) would read as a path on this site: it is no endpoint.
 */
export const endpointOf = (endpoint: string): string | undefined => {
  try {
    if (!/^(https?:\/\/|\/)/i.test(endpoint)) return;
    const url = new URL(endpoint, location.href);
    return url.protocol == 'https:' || (url.protocol == 'http:' && (/^(localhost|127\.0\.0\.1|\[::1\])$/.test(url.hostname) || url.origin == location.origin))
      ? url.href.replace(/\/+$/, '')
      : undefined;
  } catch {
    return;
  }
};

/** Whether `selector` is a CSS selector this browser reads. */
const selects = (selector: string): boolean => {
  try {
    document.createElement('a').matches(selector);
    return true;
  } catch {
    return false;
  }
};

/** Config checks in order; each returns true or reports the problem naming the field. */
const CHECKS: ((c: Config) => unknown)[] = [
  (c) => (!!c && typeof c == 'object') || invalid('init needs a config object'),
  (c) => (typeof c.site == 'string' && SITE.test(c.site)) || invalid('"site" must be the site id (letters, digits, ".", "-", "_")'),
  (c) => (Array.isArray(c.numbers) && c.numbers.length > 0) || invalid('"numbers" must be a non-empty array of the site\'s phone numbers'),
  (c) =>
    Object.entries(FIELDS).every(([name, kind]) => {
      const value = c[name as keyof Config] as unknown;
      return (
        value == null ||
        (typeof kind == 'object'
          ? typeof value == 'number' && value >= kind[0] && value <= kind[1]
          : kind == 'b'
            ? typeof value == 'boolean'
            : kind == 's'
              ? typeof value == 'string'
              : kind == 'l'
                ? Array.isArray(value)
                : kind == 'j'
                  ? typeof value == 'object'
                  : typeof (value as Node).nodeType == 'number') ||
        invalid(`"${name}" must be ` + (typeof kind == 'object' ? `a number from ${kind[0]} to ${kind[1]}` : KINDS[kind]))
      );
    }),
  (c) => c.numbers.every((n) => parsePhone(n, c.country)),
  (c) => c.endpoint == null || endpointOf(c.endpoint) || invalid(`"endpoint" must be a URL (https://pool.example.com/v1) or a path starting with "/": ${c.endpoint}`),
  (c) =>
    Object.values(c.static || {}).every((value) =>
      typeof value == 'string' ? parsePhone(value, c.country) : Object.entries(value || {}).every(([k, v]) => parsePhone(k, c.country) && parsePhone(v, c.country)),
    ),
  // A rule the script tag would skip is a config error too: the visit would go to another pool than meant.
  (c) => compileRules(c.rules).length == (c.rules?.length || 0),
  (c) => c.ignore == null || selects(c.ignore) || invalid(`"ignore" must be a CSS selector: ${c.ignore}`),
  (c) => (c.attributes || []).every((name) => selects(`[${name}]`) || invalid(`"attributes" must be attribute names: ${name}`)),
];

/**
 * Checks the whole config, every field, before callswap does anything: true when it may start. A problem throws a
 * TypeError naming the field (npm API), or warns once and returns false (script-tag build).
 */
export const checkConfig = (config: Config): boolean => CHECKS.every((check) => check(config));
