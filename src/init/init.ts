import { loadDebug } from '../debug/loadDebug.js';
import { createLeaseClient, type LeaseClient, type LeaseEvents } from '../lease/createLeaseClient.js';
import { createEmitter } from '../lib/createEmitter.js';
import { closest, lastInvalid, notice } from '../lib/invalid.js';
import { later } from '../lib/later.js';
import { detectSource } from '../source/detectSource.js';
import type { Source } from '../source/types.js';
import { findCookieDomain } from '../storage/cookie.js';
import type { Consent } from '../lease/protocol.js';
import { getGaIds } from '../storage/getGaIds.js';
import { allSignals, onConsentSignal, readSignals } from '../storage/onConsentSignal.js';
import { forgetStorage, getVisitor } from '../storage/visitor.js';
import { forgetVisit, trackVisit } from '../storage/visit.js';
import { e164, parsePhone } from '../swap/phone.js';
import { PHONE_LINK, swapNumbers, type SwapHandle } from '../swap/swapNumbers.js';
import { checkConfig, DEFAULTS, endpointOf, FIELDS, type Config } from './config.js';

export type { Config };

/** The config fields' names. */
const NAMES = Object.keys(FIELDS);

export interface SwapEvent {
  /** Site number (E.164) → tracking number now shown. */
  numbers: Record<string, string>;
  /** Site numbers found on the page. */
  found: string[];
  /** Occurrences replaced. */
  count: number;
}

/** A click or tap on a tel:, callto: or sms: link to a tracking number or to one of the site's own numbers. */
export interface ClickEvent {
  /** The number called (E.164): the tracking number shown, or the site number where none is. */
  number: string;
  /** The site number it stands for (E.164). */
  target: string;
  kind: 'tel' | 'sms';
}

export interface Events extends LeaseEvents {
  swap: SwapEvent;
  click: ClickEvent;
}

/**
 * Consent as a page says it: `'granted'` / `true` or `'denied'` / `false` for all of Google Consent Mode's four
 * signals at once, or the signals one by one (`{ ad_storage: 'granted', ad_user_data: 'denied' }`).
 */
export type ConsentState = 'granted' | 'denied' | boolean | Consent;

/** What callswap decided for this page view, for a debug view or a consent banner. */
export interface Status {
  source: Source;
  /** The pool endpoint, as an absolute URL; absent without one. */
  endpoint?: string;
  /** Site number → tracking number shown. */
  numbers: Record<string, string>;
  /** The site numbers configured (E.164). */
  targets: string[];
  /** Site numbers found on the page, and the ones not found. */
  found: string[];
  missing: string[];
  consent: boolean;
  /** Google Consent Mode's signals as the page said them (the pool gets them too); an unsaid one is absent. */
  signals: Consent;
  /**
   * The lease: its session, when it expires unless renewed, and the numbers it holds (a site number the pool had
   * no free number for is absent).
   */
  lease?: { session: string; expires: number; numbers: Record<string, string> };
  error?: { code: string; message: string };
}

/** A running callswap. */
export interface Instance {
  /** The visit's attributed source. */
  readonly source: Source;
  /** Site number (E.164) → tracking number currently shown. */
  readonly numbers: Record<string, string>;
  /** Subscribes to an event (`swap`, `lease`, `expire`, `error`); returns the unsubscribe. */
  on<K extends keyof Events>(event: K, fn: (detail: Events[K]) => void): () => void;
  /**
   * Grants or withdraws consent to store and send identifiers (`ad_storage`), in every open tab of the site.
   * Withdrawing deletes what callswap stored and releases the lease at the pool. The other signals go to the pool,
   * which exports a call to the ad platforms only as they allow.
   */
  setConsent(state: ConsentState): void;
  /** What callswap decided for this page view. */
  status(): Status;
  /** Restores the page and stops every observer, timer, lock and listener. */
  destroy(): void;
}

/**
 * Shows the page again where the queue stub hid it (README, "Script tag"): in browsers without blocking="render",
 * a returning visitor's page waits for callswap's first swap, as it would with it.
 */
export const unhide = (): void => document.getElementById('callswap-hide')?.remove();

/** Wait after the page's load event before reporting site numbers missing from it. */
const SETTLE = 3000;

/** A source without its click ids, also in the landing page's query (Global Privacy Control). */
const withoutClickIds = (source: Source): Source => {
  let landingPage = source.landingPage;
  try {
    const url = new URL(landingPage);
    for (const id of Object.keys(source.clickIds)) url.searchParams.delete(id);
    landingPage = url.href;
  } catch {
    // Not a URL: nothing to strip.
  }
  return { ...source, clickIds: {}, landingPage };
};

/** A number the config checks already accepted, as E.164. */
const toE164 = (written: string, country?: string): string => e164(parsePhone(written, country)!);

/**
 * Starts callswap on the page: works out the visit's source (attributed across page views when storage is
 * allowed), shows its tracking numbers — the stored lease's at once, a new lease's when it arrives, static ones
 * when the pool fails or has none — and keeps them swapped, live. Returns the running instance. A config error
 * throws a TypeError naming the field (the script-tag build warns and leaves the page as it is); an unknown field
 * only warns. Network failures never throw: they are `error` events, and the page keeps its own numbers. Outside a
 * browser (server-side rendering) it returns an instance that does nothing.
 */
export function init(given: Config): Instance {
  const events = createEmitter<Events>();
  const browser = typeof document == 'object' && typeof location == 'object';
  const ok = browser && checkConfig(given);
  // Every default from one place: a field left out (or null) takes it.
  const config = { ...DEFAULTS } as Config & typeof DEFAULTS;
  if (ok) {
    for (const [key, value] of Object.entries(given)) {
      if (!NAMES.includes(key)) notice(`unknown config field "${key}" (did you mean "${closest(key, NAMES)}"?)`);
      if (value != null) (config as unknown as Record<string, unknown>)[key] = value;
    }
  }
  const targets = ok ? config.numbers.map((n) => toE164(n, config.country)) : [];
  const endpoint = ok && config.endpoint ? endpointOf(config.endpoint) : undefined;
  // Global Privacy Control: no persistent visitor id, and no click id stored or sent (nor in the landing page).
  const gpc = ok && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true;
  let consent = ok && !config.requireConsent;
  let swap: SwapHandle | undefined;
  let lease: LeaseClient | undefined;
  let numbers: Record<string, string> = {};
  let destroyed = false;
  let settleTimer: ReturnType<typeof setTimeout> | undefined;
  const detected = detectSource(ok ? { url: location.href, referrer: document.referrer, rules: config.rules } : { url: '' });
  const pageSource = gpc ? withoutClickIds(detected) : detected;
  let source = pageSource;
  const shown = new Set<string>();
  // Found by test-writing a cookie, so only once storing is allowed (a probe cookie is a write too).
  let cookieDomain: string | undefined;
  const domain = (): string | undefined => (cookieDomain ??= config.cookieDomain ?? findCookieDomain(location.hostname));
  const debug = ok && (config.debug || /[?&]callswap_debug=1\b/.test(location.search));
  // A config the script tag refused (it warned): status() says why nothing happens.
  let lastError: Status['error'] = browser && !ok ? { code: 'config', message: lastInvalid } : undefined;
  let stopDebug: (() => void) | undefined;
  let stopSignals: (() => void) | undefined;
  /** Google Consent Mode's signals as the page's tools and code said them. */
  let signals: Consent = {};
  let signalTimer: ReturnType<typeof setTimeout> | undefined;
  /** Consent is the visitor's: tabs of the site tell each other when it is granted or withdrawn. */
  let tabs: BroadcastChannel | undefined;

  /** Tracking numbers for a source from the static config: its pool first, then its channel. */
  const staticFor = (from: Source): Record<string, string> => {
    const entry = (from.pool && config.static?.[from.pool]) || config.static?.[from.channel];
    const out: Record<string, string> = {};
    // A number alone is the main line's: the site's first number.
    if (typeof entry == 'string') out[targets[0]!] = toE164(entry, config.country);
    else for (const [target, number] of Object.entries(entry || {})) out[toE164(target, config.country)] = toE164(number, config.country);
    return out;
  };

  /** Shows these tracking numbers (site numbers without one stay as they are, and are still looked for). */
  const show = (next: Record<string, string>): void => {
    if (destroyed) return;
    numbers = next;
    // Every site number is looked for, so one missing from the page can be reported.
    const replacements = Object.fromEntries(targets.map((t) => [t, next[t] || t]));
    if (!swap) {
      // The whole document: while it is still loading, the observer swaps nodes as the parser inserts them, so
      // an async script in <head> swaps before the first paint of the body.
      swap = swapNumbers(config.root || document.documentElement, replacements, {
        observe: config.observe,
        country: config.country,
        attributes: config.attributes,
        ignore: config.ignore,
        onFound: tell,
      });
    } else swap.update(replacements);
    tell();
  };

  /**
   * A `swap` event and, once per tracking number, a dataLayer push: when numbers are shown, and again when the page
   * shows a site number for the first time (an async script in <head> often runs before the body is parsed).
   */
  const tell = (): void => {
    if (!swap) return;
    events.emit('swap', { numbers: { ...numbers }, found: swap.found, count: swap.count });
    for (const target of swap.found) {
      const number = numbers[target];
      if (number && !shown.has(number)) {
        shown.add(number);
        push('swap', number, target);
      }
    }
  };

  /** A `callswap.<event>` for the page's dataLayer, when it has one and the config does not say no. */
  const push = (event: string, number: string, target: string): void => {
    const dataLayer = (window as { dataLayer?: unknown[] }).dataLayer;
    const { channel, source: src, medium, campaign, term } = source;
    if (config.dataLayer && Array.isArray(dataLayer))
      dataLayer.push({ event: 'callswap.' + event, callswap: { number, target, channel, source: src, medium, campaign, term, session: lease?.session } });
  };

  /**
   * Click-to-call: one passive listener on the document, in the capture phase (a page's own handler that stops the
   * click does not hide it). Clicks elsewhere cost a lookup for the nearest link, nothing more.
   */
  const onClick = (event: Event): void => {
    const href = (event.target as Element).closest?.('a[href]')?.getAttribute('href');
    const link = href && PHONE_LINK.exec(href);
    if (!link) return;
    for (const written of link[2]!.split(',')) {
      let phone;
      try {
        phone = parsePhone(decodeURIComponent(written), config.country, true);
      } catch {
        // A malformed %-escape: not a number of ours.
      }
      const number = phone && e164(phone);
      const target = number && targets.find((t) => t == number || numbers[t] == number);
      if (target) {
        const kind = /sms/i.test(link[1]!) ? 'sms' : 'tel';
        events.emit('click', { number, target, kind });
        push('click', number, target);
        lease?.send('click', { target, ...more() });
        return;
      }
    }
  };

  /** Attributes the visit (storing it only with consent), leases where allowed, and shows the numbers. */
  const start = (): void => {
    // Without consent this page view stands alone: its own source's static numbers, nothing stored.
    if (!consent) return show(staticFor(pageSource));
    const { visit } = trackVisit(pageSource, Date.now(), {
      store: true,
      cookieDomain: domain(),
      sessionTimeout: config.sessionTimeout,
      attributionDays: config.attributionDays,
    });
    source = visit.source;
    const own = staticFor(source);
    if (endpoint && !lease && (!config.leaseFor || config.leaseFor.includes(source.channel))) {
      lease = createLeaseClient({
        endpoint,
        site: config.site,
        targets,
        source,
        visit: visit.start,
        visitor: gpc ? null : (getVisitor() ?? null),
        timeout: config.timeout,
        more,
        onNumbers: (pool) => show({ ...own, ...pool }),
        onEvent: (event, detail) => {
          if (event == 'error') {
            lastError = detail as Status['error'];
            const code = lastError!.code;
            // A setup mistake at the pool is said once, naming what to change; other failures only with debug.
            if (code == 'forbidden') notice(`add ${location.origin} to "allowedOrigins" of site "${config.site}" at ${endpoint}`);
            else if (code == 'unknown_site') notice(`${endpoint} has no site "${config.site}"`);
            else if (debug) console.warn(lastError!.message);
            // No lease to show: the static numbers are the fallback.
            if (!lease?.session) show(own);
          }
          events.emit(event, detail as never);
        },
      });
    }
    // A stored lease's numbers are known now: a returning visitor never sees the original number. While a new
    // lease is on its way the page keeps its own numbers: one change when it comes (or the static ones if not),
    // and the page is read for them a task later, so that the script's start stays one short task.
    if (lease && !lease.session) later(() => swap || show({}));
    else show({ ...own, ...lease?.numbers });
  };

  /** Once per page, after it settled: tell the pool which site numbers this page does not show. */
  const reportMissing = (): void => {
    settleTimer = setTimeout(
      () =>
        // On a huge page the pass may still be going on in slices: its end tells what the page shows.
        swap?.ready.then(() => {
          const missing = targets.filter((t) => !swap?.found.includes(t));
          if (missing.length && !destroyed) lease?.send('missing_target', { targets: missing });
        }),
      SETTLE,
    );
  };

  /**
   * What the pool hears with the lease and the events: the consent signals, and GA's ids where analytics_storage
   * is granted (never under Global Privacy Control). GA may set its cookie after the lease: a later event carries it.
   */
  const more = () => ({ consent: signals, ga: !gpc && signals.analytics_storage == 'granted' ? getGaIds() : undefined });

  /**
   * Signals said (by the page's consent tools, or its code when `decide`): kept, and told to the pool once they
   * settle (a page's default and its update come a moment apart). `ad_storage` decides storing where the page's
   * code says it or the config requires consent.
   */
  const onSignals = (change: Consent, decide?: boolean): void => {
    signals = { ...signals, ...change };
    // What the page said before callswap started is read before the first lease, not acted on one by one.
    if (!stopSignals) return;
    if (change.ad_storage && (decide || config.requireConsent)) consentTo(change.ad_storage == 'granted', true);
    clearTimeout(signalTimer);
    signalTimer = setTimeout(() => lease?.send('consent', more()), 500);
  };

  /** Grants or withdraws consent here; `tell` the site's other tabs too. */
  const consentTo = (granted: boolean, tell?: boolean): void => {
    if (!ok || destroyed || granted == consent) return;
    consent = granted;
    if (tell) tabs?.postMessage({ consent: granted });
    if (!granted) {
      // Withdrawn: the pool's numbers come off the page, the lease is released at the pool, and everything we
      // stored is deleted.
      lease?.stop(true);
      lease = undefined;
      forgetVisit(location.hostname);
      forgetStorage();
      source = pageSource;
    }
    start();
  };

  const listen = (): void => {
    try {
      tabs = new BroadcastChannel(`callswap:consent:${config.site}`);
      tabs.onmessage = ({ data }: MessageEvent<{ consent?: boolean } | null>) => consentTo(data?.consent === true);
    } catch {
      // No BroadcastChannel: each tab follows the page's own consent signals.
    }
  };
  // An open channel keeps a page out of the back/forward cache: closed while the page is away.
  const onPageHide = (): void => tabs?.close();
  const onPageShow = (event: PageTransitionEvent): void => void (event.persisted && listen());

  const instance: Instance = {
    get source() {
      return source;
    },
    get numbers() {
      return { ...numbers };
    },
    on: events.on,
    setConsent(state) {
      if (!ok) return;
      if (state && typeof state == 'object') {
        const given = readSignals(state as Record<string, unknown>);
        for (const name in state) if (!(name in given)) notice(`consent: ignored ${name}`);
        onSignals(given, true);
      } else onSignals(allSignals(state === true || state == 'granted'), true);
    },
    status() {
      const found = swap?.found || [];
      return {
        source,
        ...(endpoint && { endpoint }),
        numbers: { ...numbers },
        targets: [...targets],
        found,
        missing: targets.filter((t) => !found.includes(t)),
        consent,
        signals: { ...signals },
        ...(lease?.session && { lease: { session: lease.session, expires: lease.expires!, numbers: lease.numbers } }),
        ...(lastError && { error: lastError }),
      };
    },
    destroy() {
      if (!ok || destroyed) return;
      destroyed = true;
      document.removeEventListener('DOMContentLoaded', start);
      removeEventListener('load', reportMissing);
      removeEventListener('pagehide', onPageHide);
      removeEventListener('pageshow', onPageShow);
      document.removeEventListener('click', onClick, true);
      tabs?.close();
      clearTimeout(settleTimer);
      clearTimeout(signalTimer);
      stopSignals?.();
      stopDebug?.();
      lease?.stop();
      swap?.restore();
      swap = undefined;
      numbers = {};
      events.clear();
    },
  };

  if (ok) {
    // The page's consent tools (IAB TCF, Google Consent Mode): the pool hears them; they decide storing when the
    // config requires consent.
    stopSignals = onConsentSignal((change) => onSignals(change));
    if (config.requireConsent && signals.ad_storage) consent = signals.ad_storage == 'granted';
    if (!config.observe && document.readyState == 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
    else start();
    if (document.readyState == 'complete') reportMissing();
    else addEventListener('load', reportMissing, { once: true });
    listen();
    document.addEventListener('click', onClick, { capture: true, passive: true });
    addEventListener('pagehide', onPageHide);
    addEventListener('pageshow', onPageShow);
    if (debug)
      loadDebug(instance).then(
        (stop) => (destroyed ? stop?.() : (stopDebug = stop)),
        () => undefined,
      );
  }
  // The first swap is done (or there is none to make): the stub's hiding ends.
  if (browser) unhide();

  return instance;
}
