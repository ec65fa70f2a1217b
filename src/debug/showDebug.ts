import type { Instance } from '../init/init.js';

/**
 * Shows a small badge with what callswap decided for this visit: the endpoint, channel, source / medium, per site
 * number what the page shows (a pool number, a static fallback and why, or the original), lease time left, site
 * numbers missing from the page, the last error. Marked data-callswap-ignore, written with textContent only. On
 * a wide screen it floats in a corner; on a narrow one it sits after the page's content, so it covers none of the
 * page's controls. It has a close button. Returns the function that removes it.
 */
export function showDebug(instance: Instance): () => void {
  const box = document.createElement('div');
  const text = document.createElement('pre');
  const close = document.createElement('button');
  box.setAttribute('data-callswap-ignore', '');
  box.setAttribute('role', 'status');
  close.textContent = '×';
  close.setAttribute('aria-label', 'Close the callswap debug badge');
  close.style.cssText = 'float:right;margin:-4px -4px 0 8px;border:0;background:none;color:inherit;font:16px/1 sans-serif;cursor:pointer';
  text.style.cssText = 'margin:0;font:inherit;white-space:pre-wrap';
  box.style.cssText =
    (window.matchMedia?.('(min-width:600px)').matches ? 'position:fixed;right:12px;bottom:12px;z-index:2147483647;max-width:380px;' : 'margin:8px;') +
    'padding:10px 12px;border-radius:8px;background:rgba(17,24,39,.92);color:#f9fafb;font:12px/1.5 ui-monospace,Menlo,Consolas,monospace;' +
    'box-shadow:0 4px 16px rgba(0,0,0,.3)';
  const render = (): void => {
    try {
      const s = instance.status();
      const left = s.lease ? Math.max(0, Math.round((s.lease.expires - Date.now()) / 1000)) : 0;
      /** Why a site number shows what it shows. */
      const shown = (target: string): string => {
        const number = s.numbers[target];
        if (number && s.lease?.numbers[target] == number) return `${number} (pool)`;
        const why = !s.endpoint ? 'no endpoint' : !s.consent ? 'no consent' : s.error ? `pool down: ${s.error.code}` : s.lease ? 'no free number' : 'waiting for the pool';
        return number ? `${number} (static: ${why})` : `original (${why})`;
      };
      text.textContent = [
        'callswap',
        `endpoint  ${s.endpoint || 'none'}`,
        `channel   ${s.source.channel}`,
        `source    ${s.source.source} / ${s.source.medium}${s.source.campaign ? ` (${s.source.campaign})` : ''}${s.source.pool ? ` → pool ${s.source.pool}` : ''}`,
        ...s.targets.map((target) => `${target} → ${shown(target)}`),
        `lease     ${s.lease ? `${s.lease.session.slice(0, 8)}…, ${Math.floor(left / 60)}m ${left % 60}s left` : s.consent ? 'none' : 'none: no consent'}`,
        `found     ${s.found.join(', ') || 'none'}`,
        `missing   ${s.missing.join(', ') || 'none'}`,
        `error     ${s.error ? `${s.error.code}` : 'none'}`,
      ].join('\n');
    } catch {
      // The badge is for humans; it never breaks the page.
    }
  };
  const unsubscribe = (['swap', 'lease', 'expire', 'error'] as const).map((event) => instance.on(event, render));
  const timer = setInterval(render, 1000);
  const remove = (): void => {
    clearInterval(timer);
    unsubscribe.forEach((off) => off());
    box.remove();
  };
  close.onclick = remove;
  render();
  box.append(close, text);
  (document.body || document.documentElement).append(box);
  return remove;
}
