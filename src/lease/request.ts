/** Why a request failed. Stable codes: they reach the page as `error` events. */
export type FailureCode =
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'forbidden'
  | 'unknown_site'
  | 'not_found'
  | 'gone'
  | 'rate_limited'
  | 'unavailable'
  | 'invalid_response'
  | 'backoff';

export type Response<T> = { ok: true; body: T } | { ok: false; code: FailureCode; retryAfter?: number };

/** Largest answer we read; anything bigger is not a pool answer. */
const MAX_BODY = 16_384;
/** Longest Retry-After honoured (s): a pool asking for more is not believed, and nobody is locked out for days. */
const MAX_RETRY_AFTER = 3600;

/**
 * What every request to the pool is sent with: cookies only to a pool on the page's own origin (whose first-party
 * cookie keeps the visit attributed where Safari deletes what scripts store), none to a pool elsewhere, and none at
 * all under Global Privacy Control; no Referer (the page URL can hold click ids); and a redirect is a failure (a
 * loop would cost dozens of requests a page view).
 */
const init = (): RequestInit => ({
  credentials: (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl ? 'omit' : 'same-origin',
  mode: 'cors',
  redirect: 'error',
  referrerPolicy: 'no-referrer',
});

/**
 * Until when (ms) the pool asked not to be called (Retry-After), per pool origin: every request kind of the page
 * honours it. Exported for tests, which start each from a pool that asked for nothing.
 */
export const paused: Record<string, number> = {};

const originOf = (url: string): string => new URL(url, location.href).origin;

/** Until when the pool at `url` asked not to be called (ms since the epoch; 0 when it did not). */
export const pausedUntil = (url: string): number => paused[originOf(url)] || 0;

/**
 * Reads a body through its stream and stops past MAX_BODY: a compression bomb is never inflated in this page, and a
 * Content-Length over the limit is refused unread.
 */
const readText = async (response: globalThis.Response, signal: AbortSignal): Promise<string | undefined> => {
  const reader = response.body?.getReader();
  // Decoded as it comes: a Blob's text() takes a round trip through the browser's blob store (20-75 ms measured in
  // Chromium for a lease's few hundred bytes).
  const decoder = new TextDecoder();
  let text = '';
  let size = Number(response.headers.get('content-length')) > MAX_BODY ? Infinity : 0;
  // Time is up while the body still arrives: stop reading (a browser errors the stream itself; this is for the rest).
  signal.addEventListener('abort', () => reader?.cancel().catch(() => undefined));
  for (let part; reader && size <= MAX_BODY && !(part = await reader.read()).done; text += decoder.decode(part.value, { stream: true })) size += part.value.length;
  if (size <= MAX_BODY) return text + decoder.decode();
  reader?.cancel().catch(() => undefined);
  return;
};

/**
 * POSTs JSON and gives up after `timeout` ms, body included. Never throws: a failure is a result with a
 * stable code, and `Retry-After` (seconds, at most an hour) when the server sent one; until then every request to
 * this pool answers `backoff` at once.
 */
export async function request<T = unknown>(url: string, timeout: number, body: unknown): Promise<Response<T>> {
  const origin = originOf(url);
  if (Date.now() < (paused[origin] || 0)) return { ok: false, code: 'backoff' };
  // Every browser with optional chaining (what this build needs) has AbortController.
  const controller = new AbortController();
  const { signal } = controller;
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    const response = await fetch(url, {
      ...init(),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    const status = response.status;
    const text = await readText(response, signal);
    if (signal.aborted) throw 0;
    let json: T | undefined;
    try {
      json = text ? (JSON.parse(text) as T) : undefined;
    } catch {
      // Not JSON: for a success that is a failure below, for an error it only means no error code to read.
    }
    if (status >= 200 && status < 300) return text === undefined || (text && json === undefined) ? { ok: false, code: 'invalid_response' } : { ok: true, body: json as T };
    // Retry-After is seconds or an HTTP date (RFC 9110, 10.2.3); whatever it says, at most an hour.
    const header = response.headers.get('retry-after') || '';
    const wait = Math.min(MAX_RETRY_AFTER, /^\d+$/.test(header) ? Number(header) : Math.max(0, (Date.parse(header) - Date.now()) / 1000) || 0);
    if (wait > 0) paused[origin] = Date.now() + wait * 1000;
    const error = (json as { error?: string } | undefined)?.error;
    // A 404 is the pool's only when its body says so: anything else at that URL is a wrong endpoint.
    const code: FailureCode =
      status == 404
        ? error == 'unknown_site' ? error : error == 'unknown_session' ? 'gone' : 'not_found'
        : (({ 400: 'bad_request', 403: 'forbidden', 410: 'gone', 429: 'rate_limited' }) as Record<number, FailureCode>)[status] || (status >= 500 ? 'unavailable' : 'invalid_response');
    return header ? { ok: false, code, retryAfter: wait } : { ok: false, code };
  } catch {
    return { ok: false, code: signal.aborted ? 'timeout' : 'network' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends a page event or a release without waiting for it, and lets it outlive the page: fetch with keepalive,
 * text/plain (no CORS preflight), cookies to the page's own origin only (sendBeacon would send them anywhere).
 * Skipped while the pool asked for a pause.
 */
export function send(url: string, body?: unknown, method = 'POST'): void {
  try {
    if (Date.now() >= pausedUntil(url)) {
      fetch(url, { ...init(), method, keepalive: true, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? undefined : { 'content-type': 'text/plain' } }).catch(
        () => undefined,
      );
    }
  } catch {
    // Events are best effort.
  }
}
