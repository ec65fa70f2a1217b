/** Why a request failed. Stable codes: they reach the page as `error` events. */
export type FailureCode =
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'unknown_site'
  | 'gone'
  | 'rate_limited'
  | 'unavailable'
  | 'invalid_response'
  | 'backoff';

export type Response<T> = { ok: true; body: T } | { ok: false; code: FailureCode; retryAfter?: number };

/** Largest answer we read; anything bigger is not a pool answer. */
const MAX_BODY = 16_384;

/**
 * POSTs JSON without cookies (`credentials: "omit"`) and gives up after `timeout` ms. Never throws: a failure is
 * a result with a stable code, and `Retry-After` (seconds) when the server sent one.
 */
export async function postJson<T = unknown>(url: string, body: unknown, timeout: number): Promise<Response<T>> {
  const controller = typeof AbortController == 'function' ? new AbortController() : undefined;
  const timer = setTimeout(() => controller?.abort(), timeout);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      mode: 'cors',
      signal: controller?.signal,
    });
    const text = await response.text();
    const status = response.status;
    if (status >= 200 && status < 300) {
      try {
        return text.length > MAX_BODY ? { ok: false, code: 'invalid_response' } : { ok: true, body: JSON.parse(text) as T };
      } catch {
        return { ok: false, code: 'invalid_response' };
      }
    }
    // Retry-After is seconds or an HTTP date (RFC 9110, 10.2.3).
    const header = response.headers.get('retry-after') || '';
    const retryAfter = /^\d+$/.test(header) ? Number(header) : Math.max(0, (Date.parse(header) - Date.now()) / 1000);
    const code: FailureCode =
      status == 400 ? 'bad_request' : status == 404 ? 'unknown_site' : status == 410 ? 'gone' : status == 429 ? 'rate_limited' : status >= 500 ? 'unavailable' : 'invalid_response';
    return retryAfter >= 0 && header ? { ok: false, code, retryAfter } : { ok: false, code };
  } catch {
    return { ok: false, code: controller?.signal.aborted ? 'timeout' : 'network' };
  } finally {
    clearTimeout(timer);
  }
}

/** Sends a page event the way the protocol asks: sendBeacon with text/plain JSON (fetch keepalive without it). */
export function sendBeacon(url: string, body: unknown): void {
  try {
    const text = JSON.stringify(body);
    // A string body goes as text/plain;charset=UTF-8: no CORS preflight, and what the protocol asks.
    if (typeof navigator != 'undefined' && navigator.sendBeacon) navigator.sendBeacon(url, text);
    else void fetch(url, { method: 'POST', body: text, keepalive: true, credentials: 'omit', mode: 'cors', headers: { 'content-type': 'text/plain' } }).catch(() => undefined);
  } catch {
    // Events are best effort.
  }
}
