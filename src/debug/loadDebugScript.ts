// The script-tag build's loadDebug (rollup swaps it in for loadDebug.ts): an IIFE cannot split chunks, so the badge
// is dist/callswap-debug.js, loaded from next to the script tag's own URL.
import type { Instance } from '../init/init.js';

type Policy = { createScriptURL(url: string): string };
type Page = Window & { trustedTypes?: { createPolicy(name: string, rules: { createScriptURL(url: string): string }): Policy } };

/** The script tag's URL, taken while it runs (document.currentScript is only set then). */
const src = typeof document != 'undefined' ? (document.currentScript as HTMLScriptElement | null)?.src : undefined;

/**
 * Under Trusted Types (`require-trusted-types-for 'script'`) a script URL must come from a policy: ours is named
 * `callswap` and passes only the badge's own URL. A page whose CSP does not allow that name (`trusted-types
 * callswap`) gets no badge and one debug warning.
 */
let policy: Policy | undefined;

export const loadDebug = (instance: Instance): Promise<(() => void) | undefined> =>
  new Promise((resolve) => {
    if (!src) return resolve(undefined);
    const url = src.replace(/[^/?#]*([?#].*)?$/, 'callswap-debug.js');
    try {
      const types = (window as Page).trustedTypes;
      policy ??= types?.createPolicy('callswap', { createScriptURL: (given) => (given == url ? given : '') });
      const script = document.createElement('script');
      script.src = policy ? policy.createScriptURL(url) : url;
      script.onload = () => resolve((window as unknown as { callswap?: { showDebug?: typeof import('./showDebug.js').showDebug } }).callswap?.showDebug?.(instance));
      script.onerror = () => resolve(undefined);
      document.head.append(script);
    } catch {
      console.warn('callswap: no debug badge: the CSP must allow "trusted-types callswap"');
      resolve(undefined);
    }
  });
