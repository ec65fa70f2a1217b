// How the SDK talks to the pool: bounded reads, no cookies, no Referer, no redirects, and Retry-After honoured by
// every request kind, at most an hour.
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { paused, pausedUntil, request, send } from '../../src/lease/request';

const POOL = 'https://pool.test/v1';
const CORS = { 'access-control-allow-origin': '*' };
let seen: Request[] = [];
let answer: () => Response = () => HttpResponse.json({ ok: true }, { headers: CORS });
const server = setupServer(
  http.all(`${POOL}/*`, ({ request }) => {
    seen.push(request.clone());
    return answer();
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  seen = [];
  for (const origin in paused) delete paused[origin];
});

/** A body streamed in chunks, with no Content-Length: only reading tells its size. */
const stream = (chunks: number, size: number) =>
  new ReadableStream({
    start(controller) {
      for (let i = 0; i < chunks; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(size)));
      controller.close();
    },
  });

describe('request', () => {
  test('sends JSON without cookies, without a Referer, and refuses redirects', async () => {
    expect(await request(`${POOL}/sessions`, 1000, { a: 1 })).toEqual({ ok: true, body: { ok: true } });
    const sent = seen[0];
    expect([sent.method, sent.credentials, sent.redirect, sent.referrerPolicy]).toEqual(['POST', 'same-origin', 'error', 'no-referrer']);
    expect(sent.headers.get('content-type')).toBe('application/json');
    expect(await sent.json()).toEqual({ a: 1 });
    answer = () => new HttpResponse(null, { status: 302, headers: { ...CORS, location: `${POOL}/sessions` } });
    expect(await request(`${POOL}/sessions`, 1000, {})).toEqual({ ok: false, code: 'network' });
    expect(seen).toHaveLength(2);
  });

  test('a body over 16 KB is refused: unread when its Content-Length says so, and read no further when it does not', async () => {
    answer = () => new HttpResponse('{}', { status: 201, headers: { ...CORS, 'content-length': '999999999' } });
    expect(await request(`${POOL}/sessions`, 1000, {})).toEqual({ ok: false, code: 'invalid_response' });
    let pulled = 0;
    answer = () =>
      new HttpResponse(
        new ReadableStream({
          pull(controller) {
            pulled++;
            controller.enqueue(new TextEncoder().encode(' '.repeat(4096)));
          },
        }),
        { status: 201, headers: CORS },
      );
    // An endless body: the read stops after about 16 KB.
    expect(await request(`${POOL}/sessions`, 1000, {})).toEqual({ ok: false, code: 'invalid_response' });
    expect(pulled).toBeLessThan(10);
    answer = () => new HttpResponse(stream(4, 4000), { status: 201, headers: CORS });
    expect(await request(`${POOL}/sessions`, 1000, {})).toEqual({ ok: false, code: 'invalid_response' });
    answer = () => new HttpResponse(`{"pad":"${'x'.repeat(16_000)}"}`, { status: 201, headers: CORS });
    expect(await request(`${POOL}/sessions`, 1000, {})).toMatchObject({ ok: true });
  });

  test('a body read in chunks is decoded whole: a character split between two chunks stays one', async () => {
    const bytes = new TextEncoder().encode('{"session":"s-1","name":"Zoë 📞"}');
    const cut = bytes.indexOf(0xc3) + 1;
    const chunks = [bytes.slice(0, cut), bytes.slice(cut, cut + 14), bytes.slice(cut + 14)];
    answer = () =>
      new HttpResponse(
        new ReadableStream({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
            controller.close();
          },
        }),
        { status: 201, headers: CORS },
      );
    expect(await request(`${POOL}/sessions`, 1000, {})).toEqual({ ok: true, body: { session: 's-1', name: 'Zoë 📞' } });
    // A body that is not UTF-8 is not JSON: the replacement character fails it.
    answer = () => new HttpResponse(new Uint8Array([0x7b, 0xff, 0x7d]), { status: 201, headers: CORS });
    expect(await request(`${POOL}/sessions`, 1000, {})).toEqual({ ok: false, code: 'invalid_response' });
  });

  test('a body that is still arriving when the time is up is a timeout', async () => {
    answer = () =>
      new HttpResponse(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"session":'));
          },
        }),
        { status: 201, headers: CORS },
      );
    const t = Date.now();
    expect(await request(`${POOL}/sessions`, 200, {})).toEqual({ ok: false, code: 'timeout' });
    expect(Date.now() - t).toBeLessThan(1000);
  });

  test.each([
    ['120', 120],
    ['99999999999999999999', 3600],
    [new Date(Date.now() + 10 * 86_400_000).toUTCString(), 3600],
    ['soon', 0],
  ])('Retry-After %s is honoured for %i s by every request kind', async (header, seconds) => {
    answer = () => HttpResponse.json({ error: 'rate_limited' }, { status: 429, headers: { ...CORS, 'retry-after': header } });
    const first = await request(`${POOL}/sessions`, 1000, {});
    expect(first).toMatchObject({ ok: false, code: 'rate_limited', retryAfter: seconds });
    expect(Math.round((pausedUntil(POOL) - Date.now()) / 1000)).toBe(seconds > 0 ? seconds : Math.round(-Date.now() / 1000));
    answer = () => HttpResponse.json({ ok: true }, { headers: CORS });
    const later = await request(`${POOL}/sessions/x/heartbeat`, 1000, {});
    send(`${POOL}/sessions/x/events`, { type: 'pageview', page: '/' });
    await new Promise((r) => setTimeout(r, 20));
    if (seconds) {
      expect(later).toEqual({ ok: false, code: 'backoff' });
      expect(seen).toHaveLength(1);
      // An hour later (at most) the pool is asked again.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + seconds * 1000 + 1 });
      expect(await request(`${POOL}/sessions`, 1000, {})).toMatchObject({ ok: true });
      vi.useRealTimers();
    } else expect(seen).toHaveLength(3);
  });

  test.each([
    [404, { error: 'unknown_site' }, 'unknown_site'],
    [404, { error: 'unknown_session' }, 'gone'],
    [404, '<h1>Not Found</h1>', 'not_found'],
    [410, { error: 'gone' }, 'gone'],
    [400, { error: 'invalid' }, 'bad_request'],
    [403, { error: 'forbidden' }, 'forbidden'],
    [503, 'down', 'unavailable'],
  ])('%i %j → %s', async (status, body, code) => {
    answer = () => (typeof body == 'string' ? new HttpResponse(body, { status, headers: CORS }) : HttpResponse.json(body, { status, headers: CORS }));
    expect(await request(`${POOL}/sessions`, 1000, {})).toEqual({ ok: false, code });
  });
});

describe('send', () => {
  test('a page event goes by fetch keepalive as text/plain JSON, without cookies or Referer; a release by DELETE', async () => {
    const fetches = vi.spyOn(globalThis, 'fetch');
    send(`${POOL}/sessions/s/events`, { type: 'pageview', page: '/' });
    send(`${POOL}/sessions/s`, undefined, 'DELETE');
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    const [event, release] = seen;
    expect([event.method, event.credentials, event.referrerPolicy, event.redirect]).toEqual(['POST', 'same-origin', 'no-referrer', 'error']);
    expect(event.headers.get('content-type')).toBe('text/plain');
    expect(JSON.parse(await event.text())).toEqual({ type: 'pageview', page: '/' });
    expect([release.method, release.credentials]).toEqual(['DELETE', 'same-origin']);
    // keepalive (the request outlives the page) is not kept by Node's Request: checked where fetch was called.
    expect(fetches.mock.calls.map(([, init]) => init?.keepalive)).toEqual([true, true]);
  });

  test('never throws and never rejects, whatever the network does', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    answer = () => HttpResponse.error();
    expect(() => send(`${POOL}/sessions/s/events`, { type: 'pageview', page: '/' })).not.toThrow();
    expect(() => send('http://[::1', { type: 'pageview', page: '/' })).not.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onRejection);
    expect(rejections).toEqual([]);
  });
});
