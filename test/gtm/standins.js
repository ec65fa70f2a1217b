// Stand-ins for the Google Tag Manager sandbox APIs the callswap template uses, faithful where it matters: each API
// checks the template's ___WEB_PERMISSIONS___ as GTM does and throws when the permission is missing. Plain JS, so
// the same file runs in happy-dom (vitest) and in a real page (Playwright).

/** The permissions block as { publicId: param map }. */
const parsePermissions = (permissions) => {
  const value = (v) =>
    v.type == 1 ? v.string : v.type == 8 ? v.boolean : v.type == 2 ? v.listItem.map(value) : Object.fromEntries(v.mapKey.map((k, i) => [value(k), value(v.mapValue[i])]));
  return Object.fromEntries(permissions.map(({ instance }) => [instance.key.publicId, Object.fromEntries(instance.param.map((p) => [p.key, value(p.value)]))]));
};

/** GTM's URL match patterns: exact, or `*` as a wildcard. */
const urlAllowed = (patterns, url) =>
  patterns.some((pattern) => new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$').test(url));

const denied = (api, what) => {
  throw new Error(`Permission denied: ${api} needs ${what}`);
};

/**
 * A sandbox: `require(name)` as the template sees it, and controls for tests (consent state, logs, scripts).
 * `win` is the window the globals and scripts go to.
 */
export function createSandbox({ permissions, win = globalThis.window, consent = {}, debug = false }) {
  const allowed = parsePermissions(permissions);
  const listeners = [];
  const logs = [];
  const injected = new Map();
  const globalKey = (key, need) => {
    const entry = (allowed.access_globals?.keys || []).find((k) => k.key == key);
    if (!entry || need.some((n) => !entry[n])) denied('access_globals', `${need.join('+')} on "${key}"`);
  };
  const path = (key) => key.split('.');
  const getGlobal = (key) => path(key).reduce((o, k) => (o == null ? undefined : o[k]), win);
  const setGlobal = (key, value) => {
    const keys = path(key);
    const last = keys.pop();
    keys.reduce((o, k) => o[k], win)[last] = value;
  };
  const consentRead = (type) => {
    const entry = (allowed.access_consent?.consentTypes || []).find((c) => c.consentType == type);
    if (!entry?.read) denied('access_consent', `read on "${type}"`);
  };

  const apis = {
    createArgumentsQueue(fnKey, arrayKey) {
      globalKey(fnKey, ['read', 'write']);
      globalKey(arrayKey, ['read', 'write']);
      if (typeof getGlobal(fnKey) != 'function') {
        setGlobal(fnKey, function () {
          getGlobal(arrayKey).push(arguments);
        });
      }
      if (!Array.isArray(getGlobal(arrayKey))) setGlobal(arrayKey, []);
      return getGlobal(fnKey);
    },
    injectScript(url, onSuccess, onFailure, cacheToken) {
      if (!urlAllowed(allowed.inject_script?.urls || [], url)) denied('inject_script', url);
      // With a cache token the script is injected once; later calls share its outcome.
      const key = cacheToken || url + Math.random();
      let entry = injected.get(key);
      if (!entry) {
        entry = { done: undefined, waiting: [] };
        injected.set(key, entry);
        const script = win.document.createElement('script');
        script.src = url;
        script.async = true;
        const settle = (ok) => {
          entry.done = ok;
          entry.waiting.splice(0).forEach(([s, f]) => (ok ? s() : f()));
        };
        script.onload = () => settle(true);
        script.onerror = () => settle(false);
        win.document.head.append(script);
      }
      if (entry.done === undefined) entry.waiting.push([onSuccess, onFailure]);
      else (entry.done ? onSuccess : onFailure)();
    },
    isConsentGranted(type) {
      consentRead(type);
      // GTM: a consent type that was never set counts as granted.
      return consent[type] !== false;
    },
    addConsentListener(type, listener) {
      consentRead(type);
      listeners.push([type, listener]);
    },
    makeTableMap(table, keyColumn, valueColumn) {
      return table && table.length ? Object.fromEntries(table.map((row) => [row[keyColumn], row[valueColumn]])) : undefined;
    },
    getType(value) {
      return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    },
    JSON: {
      // The sandbox's JSON.parse returns undefined for bad JSON instead of throwing.
      parse: (text) => {
        try {
          return JSON.parse(text);
        } catch {
          return undefined;
        }
      },
      stringify: (value) => JSON.stringify(value),
    },
    logToConsole(...args) {
      const environments = allowed.logging?.environments;
      if (!environments) denied('logging', 'a logging environment');
      if (environments == 'all' || debug) logs.push(args.join(' '));
    },
  };

  return {
    require(name) {
      if (!(name in apis)) throw new Error(`Unknown or unsupported API: ${name}`);
      return apis[name];
    },
    apis,
    logs,
    /** The page's consent tool changes a type: listeners hear it only when the state really changes. */
    setConsent(type, granted) {
      const before = consent[type] !== false;
      consent[type] = granted;
      if (before != granted) listeners.filter(([t]) => t == type).forEach(([, fn]) => fn(type, granted));
    },
  };
}

/** Runs the template's sandboxed code with `data` (gtmOnSuccess/gtmOnFailure included) and a sandbox `require`. */
export function runTemplate(code, require, data) {
  new Function('require', 'data', code)(require, data);
}
