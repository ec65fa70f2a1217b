// The script-tag build: the only module with side effects. It defines window.callswap, replays calls queued by the
// stub before it arrived, and starts by itself from the script tag's data-attributes.
import { FIELDS } from '../init/config.js';
import { init, unhide, type Config, type Events, type Instance, type Status } from '../init/init.js';
import { closest, notice, warnInsteadOfThrow, warnOnce } from '../lib/invalid.js';
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
  status?: () => Status | undefined;
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
      warnOnce(String(error && (error as Error).message));
      return;
    }
  };

const dashed = (key: string): string => 'data-' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/**
 * A config from the script tag's data-attributes (each config field as `data-kebab-case`); undefined without any
 * (the page may init later). Without a usable data-site, init says so. JSON for `static` and `rules`, comma-separated lists for `numbers`, `leaseFor` and `attributes`, numbers
 * for the timings, true unless "false" for the switches. A typo of one of ours is named in a warning; other
 * attributes on the tag (a consent manager's, a CDN's) are theirs and left alone.
 */
const fromAttributes = (script: HTMLScriptElement | null): Config | undefined => {
  const data = script?.dataset;
  if (!data || !Object.keys(data).length) return;
  const config: Record<string, unknown> = {};
  const names = Object.keys(FIELDS);
  for (const key of Object.keys(data)) {
    const value = data[key]!;
    const kind = names.includes(key) && FIELDS[key as keyof Config];
    if (!kind) {
      const meant = closest(key, names, 3);
      if (meant) notice(`unknown attribute "${dashed(key)}" (did you mean "${dashed(meant)}"?)`);
      continue;
    }
    try {
      config[key] =
        kind == 'j'
          ? JSON.parse(value)
          : kind == 'l'
            ? value.split(',').map((n) => n.trim()).filter(Boolean)
            : typeof kind == 'object'
              ? Number(value)
              : kind == 'b'
                ? value != 'false'
                : value;
    } catch {
      notice(`${dashed(key)} is not valid JSON`);
    }
  }
  return config as unknown as Config;
};

const w = window as unknown as { callswap?: Global };
const existing = w.callswap;
/**
 * Our queue stub, or GTM's createArgumentsQueue: a function that pushes its arguments to `callswap.q` (or already
 * did). Any other function there is the page's own.
 */
const stub = typeof existing == 'function' && (Array.isArray(existing.q) || /\.q\b/.test(Function.prototype.toString.call(existing)));

// Loaded twice: the first copy keeps running. A global of the same name that is not ours is left alone, said once.
if (existing && !existing.version && !stub) console.warn('callswap: window.callswap is taken; callswap stays off');
else if (!existing?.version) {
  warnInsteadOfThrow();
  let instance: Instance | undefined;
  let pending: [keyof Events, Listener][] = [];
  // What the page said about consent, in order (the signals can come one by one): a later init hears it all.
  const consents: unknown[] = [];

  const start = (config: Config): void => {
    if (instance) return notice('init was called more than once; the first config is kept');
    instance = init(config);
    for (const [event, fn] of pending) instance.on(event, fn);
    pending = [];
    for (const state of consents) instance.setConsent(state as 'granted');
  };

  const callswap: Global = (command, ...args) =>
    guard(() => {
      if (command == 'init') start(args[0] as Config);
      else if (command == 'on') {
        const [event, fn] = args as [keyof Events, Listener];
        if (typeof fn != 'function') return notice('"on" needs an event name and a function');
        return instance ? instance.on(event, fn) : pending.push([event, fn]);
      } else if (command == 'consent') {
        consents.push(args[0]);
        instance?.setConsent(args[0] as 'granted');
      } else if (command == 'destroy') {
        instance?.destroy();
        instance = undefined;
      } else notice(`unknown command "${String(command)}"`);
      return;
    })();

  callswap.version = __VERSION__;
  callswap.init = (config) => (start(config), instance!);
  callswap.status = () => instance?.status();
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
    // Nothing to start (the page will init later): the stub's hiding ends here.
    if (!instance) unhide();
  })();
}
