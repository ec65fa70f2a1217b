// The script-tag build's loadDebug (rollup swaps it in for loadDebug.ts): an IIFE cannot split chunks, so the badge
// is dist/callswap-debug.js, loaded from next to the script tag's own URL.
import type { Instance } from '../init/init.js';

/** The script tag's URL, taken while it runs (document.currentScript is only set then). */
const src = typeof document != 'undefined' ? (document.currentScript as HTMLScriptElement | null)?.src : undefined;

export const loadDebug = (instance: Instance): Promise<(() => void) | undefined> =>
  new Promise((resolve) => {
    if (!src) return resolve(undefined);
    const script = document.createElement('script');
    script.src = src.replace(/[^/?#]*([?#].*)?$/, 'callswap-debug.js');
    script.onload = () => resolve((window as unknown as { callswap?: { showDebug?: typeof import('./showDebug.js').showDebug } }).callswap?.showDebug?.(instance));
    script.onerror = () => resolve(undefined);
    document.head.append(script);
  });
