// The script-tag build: the only module with side effects. It defines window.callswap, replays calls queued by the
// stub before it arrived, and starts by itself from the script tag's data-attributes.
import { init, type Config, type Events, type Instance } from '../init/init.js';
import { warnInsteadOfThrow } from '../lib/invalid.js';
import { detectSource } from '../source/detectSource.js';
import { swapNumbers } from '../swap/swapNumbers.js';

declare const __VERSION__: string;

type Listener = (detail: Events[keyof Events]) => void;
type Command = 'init' | 'on' | 'consent' | 'destroy';
interface Global {
  (command: Command, ...args: unknown[]): unknown;
  q?: ArrayLike<unknown>[] | { push(...entries: ArrayLike<unknown>[]): number };
  version?: string;
  init?: typeof init;
  detectSource?: typeof detectSource;
  swapNumbers?: typeof swapNumbers;
}

/** Calls `fn`; a failure is reported once and never thrown into the page. */
const guard =
  <A extends unknown[], R>(fn: (...args: A) => R) =>
  (...args: A): R | undefined => {
    try {
      return fn(...args);
    } catch (error) {
      warn(String(error && (error as Error).message));
      return;
    }
  };

const warned = new Set<string>();
const warn = (message: string): void => {
  if (!warned.has(message)) {
    warned.add(message);
    console.warn(message);
  }
};

/** A config from the script tag's data-attributes; undefined without data-site. */
const fromAttributes = (script: HTMLScriptElement | null): Config | undefined => {
  const data = script?.dataset;
  if (!data?.site) return;
  const json = (name: string): unknown => {
    try {
      return data[name] ? JSON.parse(data[name]!) : undefined;
    } catch {
      warn(`callswap: data-${name} is not valid JSON`);
      return;
    }
  };
  const flag = (name: string): boolean | undefined => (data[name] == null ? undefined : data[name] != 'false');
  const list = (value?: string) => (value || '').split(',').map((n) => n.trim()).filter(Boolean);
  return {
    site: data.site,
    numbers: list(data.numbers),
    endpoint: data.endpoint,
    leaseFor: data.leaseFor ? list(data.leaseFor) : undefined,
    timeout: data.timeout ? Number(data.timeout) : undefined,
    static: json('static') as Config['static'],
    rules: json('rules') as Config['rules'],
    country: data.country,
    cookieDomain: data.cookieDomain,
    requireConsent: flag('requireConsent'),
    debug: flag('debug'),
    observe: flag('observe'),
    dataLayer: flag('dataLayer'),
  };
};

const w = window as unknown as { callswap?: Global };
const existing = w.callswap;

// Loaded twice: the first copy keeps running. A foreign global of the same name is left alone.
if (!existing?.version && (!existing || typeof existing == 'function')) {
  warnInsteadOfThrow(warn);
  let instance: Instance | undefined;
  let pending: [keyof Events, Listener][] = [];
  let consent: unknown;

  const start = (config: Config): void => {
    if (instance) return warn('callswap: init was called more than once; the first config is kept');
    instance = init(config);
    for (const [event, fn] of pending) instance.on(event, fn);
    pending = [];
    if (consent != null) instance.setConsent(consent as 'granted');
  };

  const callswap: Global = (command, ...args) =>
    guard(() => {
      if (command == 'init') start(args[0] as Config);
      else if (command == 'on') {
        const [event, fn] = args as [keyof Events, Listener];
        if (typeof fn != 'function') return warn('callswap: "on" needs an event name and a function');
        return instance ? instance.on(event, fn) : pending.push([event, fn]);
      } else if (command == 'consent') {
        consent = args[0];
        instance?.setConsent(args[0] as 'granted');
      } else if (command == 'destroy') {
        instance?.destroy();
        instance = undefined;
      } else warn(`callswap: unknown command "${String(command)}"`);
      return;
    })();

  callswap.version = __VERSION__;
  callswap.init = (config) => (start(config), instance!);
  callswap.detectSource = guard(detectSource) as typeof detectSource;
  callswap.swapNumbers = guard(swapNumbers) as typeof swapNumbers;
  const queue = Array.from((existing?.q as ArrayLike<unknown>[]) || []);
  // Code that kept the stub (a GTM tag's createArgumentsQueue function, a page's own reference) pushes to
  // callswap.q later: those pushes now run at once.
  callswap.q = {
    push: (...entries) => {
      entries.forEach((args) => callswap(...(Array.from(args) as [Command, ...unknown[]])));
      return 0;
    },
  };
  w.callswap = callswap;

  const script = document.currentScript as HTMLScriptElement | null;
  guard(() => {
    const config = fromAttributes(script);
    const queued = queue.some((args) => args[0] == 'init');
    // Queued calls first, in order (an `on` queued before the script arrived must see the first swap).
    for (const args of queue) callswap(...(Array.from(args) as [Command, ...unknown[]]));
    if (config && !queued) start(config);
  })();
}
