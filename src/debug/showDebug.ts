import type { Instance } from '../init/init.js';

/**
 * Shows a small fixed badge with what callswap decided for this visit: channel, source / medium, the tracking
 * number, lease time left, site numbers found and missing on the page, the last error. Marked
 * data-callswap-ignore, written with textContent only, fixed so it shifts no layout. Returns the function that
 * removes it.
 */
export function showDebug(instance: Instance): () => void {
  const box = document.createElement('div');
  box.setAttribute('data-callswap-ignore', '');
  box.setAttribute('role', 'status');
  box.style.cssText =
    'position:fixed;right:12px;bottom:12px;z-index:2147483647;max-width:360px;padding:10px 12px;border-radius:8px;' +
    'background:rgba(17,24,39,.92);color:#f9fafb;font:12px/1.5 ui-monospace,Menlo,Consolas,monospace;' +
    'box-shadow:0 4px 16px rgba(0,0,0,.3);white-space:pre-wrap;pointer-events:auto';
  const render = (): void => {
    try {
      const s = instance.status();
      const left = s.lease ? Math.max(0, Math.round((s.lease.expires - Date.now()) / 1000)) : 0;
      box.textContent = [
        'callswap',
        `channel   ${s.source.channel}`,
        `source    ${s.source.source} / ${s.source.medium}${s.source.campaign ? ` (${s.source.campaign})` : ''}${s.source.pool ? ` → pool ${s.source.pool}` : ''}`,
        `number    ${Object.entries(s.numbers).map(([site, tracking]) => `${site} → ${tracking}`).join(', ') || 'none (site numbers shown)'}`,
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
  render();
  (document.body || document.documentElement).append(box);
  return () => {
    clearInterval(timer);
    unsubscribe.forEach((off) => off());
    box.remove();
  };
}
