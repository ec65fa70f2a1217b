import { createEmitter } from '../lib/createEmitter.js';
import { invalid } from '../lib/invalid.js';
import { ATTRIBUTION_DAYS, SESSION_TIMEOUT } from '../source/attribute.js';
import { detectSource } from '../source/detectSource.js';
import type { Rule, Source } from '../source/types.js';
import { findCookieDomain } from '../storage/cookie.js';
import { forgetVisit, trackVisit } from '../storage/visit.js';
import { parsePhone } from '../swap/phone.js';
import { swapNumbers, type SwapHandle } from '../swap/swapNumbers.js';

/** What a page configures. */
export interface Config {
  /** The site's id at the pool. */
  site: string;
  /** The site's own phone numbers, in any human format (national ones need `country`). */
  numbers: string[];
  /**
   * Source-level numbers by rule pool name or channel (`{ paid_search: "+31 20 …" }`), or per site number
   * (`{ paid_search: { "+31201234567": "+31 20 …" } }`). The pool name wins over the channel.
   */
  static?: Record<string, string | Record<string, string>>;
  /** Custom rules that name a pool (see `Rule`). */
  rules?: Rule[];
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

export interface SwapEvent {
  /** Site number (E.164) → tracking number now shown. */
  numbers: Record<string, string>;
  /** Site numbers found on the page. */
  found: string[];
  /** Occurrences replaced. */
  count: number;
}

export interface Events {
  swap: SwapEvent;
  error: { code: string; message: string };
}

export type ConsentState = 'granted' | 'denied' | boolean;

/** A running callswap. */
export interface Instance {
  /** The visit's attributed source. */
  readonly source: Source;
  /** Site number (E.164) → tracking number currently shown. */
  readonly numbers: Record<string, string>;
  /** Subscribes to an event; returns the unsubscribe. */
  on<K extends keyof Events>(event: K, fn: (detail: Events[K]) => void): () => void;
  /** Grants or withdraws consent to store and send identifiers. */
  setConsent(state: ConsentState): void;
  /** Restores the page and stops every observer, timer and listener. */
  destroy(): void;
}

const BOOLEANS = ['requireConsent', 'debug', 'observe', 'dataLayer'] as const;

const range = (name: 'sessionTimeout' | 'attributionDays', min: number, max: number) => (c: Config) =>
  c[name] == null ||
  (typeof c[name] == 'number' && c[name]! >= min && c[name]! <= max) ||
  invalid(`"${name}" must be a number from ${min} to ${max}`);

/** Config checks in order; each returns true or reports the problem naming the field. */
const CHECKS: ((c: Config) => unknown)[] = [
  (c) => (!!c && typeof c == 'object') || invalid('init needs a config object'),
  (c) => (typeof c.site == 'string' && /^[\w.-]{1,100}$/.test(c.site)) || invalid('"site" must be the site id (letters, digits, ".", "-", "_")'),
  (c) => (Array.isArray(c.numbers) && c.numbers.length > 0) || invalid('"numbers" must be a non-empty array of the site\'s phone numbers'),
  (c) => c.numbers.every((n) => parsePhone(n, c.country)),
  (c) => BOOLEANS.every((name) => c[name] == null || typeof c[name] == 'boolean' || invalid(`"${name}" must be true or false`)),
  range('sessionTimeout', 1, 1440),
  range('attributionDays', 0, 730),
  (c) => c.static == null || typeof c.static == 'object' || invalid('"static" must be an object of numbers by channel or pool'),
  (c) =>
    Object.values(c.static || {}).every((value) =>
      typeof value == 'string' ? parsePhone(value, c.country) : Object.entries(value || {}).every(([k, v]) => parsePhone(k, c.country) && parsePhone(v, c.country)),
    ),
  (c) => c.root == null || typeof c.root.nodeType == 'number' || invalid('"root" must be a DOM node'),
  (c) => c.cookieDomain == null || typeof c.cookieDomain == 'string' || invalid('"cookieDomain" must be a string'),
];

const e164 = (written: string, country?: string): string => {
  const phone = parsePhone(written, country)!;
  return '+' + phone.cc + phone.nsn;
};

/**
 * Starts callswap on the page: works out the visit's source (attributed across page views when storage is allowed),
 * picks the tracking numbers for it and swaps them into the page, live. Returns the running instance. A config
 * error throws a TypeError naming the field (the script-tag build warns and leaves the page as it is).
 */
export function init(config: Config): Instance {
  const events = createEmitter<Events>();
  const ok = CHECKS.every((check) => check(config));
  const targets = ok ? config.numbers.map((n) => e164(n, config.country)) : [];
  let consent = ok && !config.requireConsent;
  let swap: SwapHandle | undefined;
  let numbers: Record<string, string> = {};
  const pageSource = ok
    ? detectSource({ url: location.href, referrer: document.referrer, rules: config.rules })
    : detectSource({ url: '' });
  let source = pageSource;
  const shown = new Set<string>();
  const cookieDomain = ok ? config.cookieDomain ?? findCookieDomain(location.hostname) : undefined;

  /** Tracking numbers for a source from the static config: its pool first, then its channel. */
  const staticFor = (from: Source): Record<string, string> => {
    const entry = (from.pool && config.static?.[from.pool]) || config.static?.[from.channel];
    const out: Record<string, string> = {};
    if (typeof entry == 'string') for (const target of targets) out[target] = entry;
    else for (const [target, number] of Object.entries(entry || {})) out[e164(target, config.country)] = number;
    return out;
  };

  const show = (next: Record<string, string>): void => {
    numbers = next;
    if (!swap) {
      // The whole document: while it is still loading, the observer swaps nodes as the parser inserts them, so
      // an async script in <head> swaps before the first paint of the body.
      swap = swapNumbers(config.root || document.documentElement, next, {
        observe: config.observe ?? true,
        country: config.country,
        attributes: config.attributes,
        ignore: config.ignore,
      });
    } else {
      swap.update(next);
    }
    const found = swap.found;
    events.emit('swap', { numbers: { ...next }, found, count: swap.count });
    const dataLayer = (window as { dataLayer?: unknown[] }).dataLayer;
    for (const target of found) {
      const number = next[target];
      if (number && !shown.has(number) && config.dataLayer !== false && Array.isArray(dataLayer)) {
        shown.add(number);
        const { channel, source: src, medium, campaign } = source;
        dataLayer.push({ event: 'callswap.swap', callswap: { number, target, channel, source: src, medium, campaign } });
      }
    }
  };

  /** Attributes the visit (storing it only with consent) and shows its numbers. */
  const start = (): void => {
    source = consent
      ? trackVisit(pageSource, Date.now(), {
          store: true,
          cookieDomain,
          sessionTimeout: config.sessionTimeout ?? SESSION_TIMEOUT,
          attributionDays: config.attributionDays ?? ATTRIBUTION_DAYS,
        }).visit.source
      : pageSource;
    show(staticFor(source));
  };

  if (ok) {
    if (config.observe === false && document.readyState == 'loading') {
      document.addEventListener('DOMContentLoaded', start, { once: true });
    } else start();
  }

  return {
    get source() {
      return source;
    },
    get numbers() {
      return { ...numbers };
    },
    on: events.on,
    setConsent(state) {
      const granted = state === true || state == 'granted';
      if (!ok || granted == consent) return;
      consent = granted;
      if (!granted) forgetVisit(cookieDomain);
      start();
    },
    destroy() {
      document.removeEventListener('DOMContentLoaded', start);
      swap?.restore();
      swap = undefined;
      numbers = {};
      events.clear();
    },
  };
}
