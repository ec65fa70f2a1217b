import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { showDebug } from '../../src/debug/showDebug';
import { FIELDS } from '../../src/init/config';
import { init, type Config, type Instance } from '../../src/init/init';
import { warnInsteadOfThrow } from '../../src/lib/invalid';
import { paused } from '../../src/lease/request';
import { validator } from '../protocol';

const ENDPOINT = 'https://pool.test/v1';
const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
let leases: unknown[] = [];
const server = setupServer(
  http.options(`${ENDPOINT}/*`, () => new HttpResponse(null, { status: 204, headers: CORS })),
  http.post(`${ENDPOINT}/sessions`, async ({ request }) => {
    const body = await request.json();
    leases.push(body);
    expect(validator('LeaseRequest')(body)).toBe(true);
    return HttpResponse.json({ session: 'sess-init-0001', numbers: { '+31201234567': '+31207654321' }, ttl: 1800, heartbeat: 60 }, { status: 201, headers: CORS });
  }),
  http.post(`${ENDPOINT}/sessions/:id/events`, async ({ request }) => {
    const body = JSON.parse(await request.text());
    // (The Object.prototype test's inherited property would fail this validator, not the SDK's request.)
    if (!('evil' in {})) expect(validator('Event')(body), JSON.stringify(body)).toBe(true);
    poolEvents.push(body);
    return new HttpResponse(null, { status: 204, headers: CORS });
  }),
  http.delete(`${ENDPOINT}/sessions/:id`, ({ params }) => {
    released.push(params.id as string);
    return new HttpResponse(null, { status: 204, headers: CORS });
  }),
);
let released: string[] = [];
let poolEvents: { type: string; target?: string }[] = [];

const BASE: Config = { site: 'demo', numbers: ['+31 20 123 4567'], endpoint: ENDPOINT, static: { paid_search: '+31 20 555 0000', brand: '+31 20 555 1111' } };
let instances: Instance[] = [];
const start = (config: Partial<Config> = {}, query = '?utm_source=google&utm_medium=cpc&gclid=abc') => {
  history.replaceState(null, '', '/' + query);
  document.body.innerHTML = '<header><a id="call" href="tel:+31201234567"><span>020</span> 123 4567</a></header><p id="n">Bel 020 123 4567</p>';
  const instance = init({ ...BASE, ...config });
  instances.push(instance);
  return instance;
};
const text = () => document.getElementById('n')!.textContent;
const stored = () => ({ cookie: document.cookie.includes('_callswap'), keys: Object.keys(localStorage).filter((k) => k.startsWith('_callswap')) });
const until = (check: () => boolean) => vi.waitFor(() => expect(check()).toBe(true), { timeout: 3000, interval: 5 });

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  for (const origin in paused) delete paused[origin];
  leases = [];
  released = [];
  poolEvents = [];
  localStorage.clear();
  document.cookie.split('; ').forEach((c) => (document.cookie = `${c.split('=')[0]}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`));
  delete (window as { dataLayer?: unknown }).dataLayer;
  delete (window as { __tcfapi?: unknown }).__tcfapi;
});
afterEach(() => {
  server.resetHandlers();
  instances.forEach((i) => i.destroy());
  instances = [];
  Object.defineProperty(navigator, 'globalPrivacyControl', { value: undefined, configurable: true });
});

describe('config errors name the field', () => {
  test.each([
    [null, /config object/],
    [{ numbers: ['+31201234567'] }, /"site"/],
    [{ site: 'a b', numbers: ['+31201234567'] }, /"site"/],
    [{ site: 'demo', numbers: [] }, /"numbers"/],
    [{ site: 'demo', numbers: ['020 123 4567'] }, /country/],
    [{ site: 'demo', numbers: ['+31201234567'], endpoint: 'http://pool.example.com/v1' }, /"endpoint"/],
    [{ site: 'demo', numbers: ['+31201234567'], endpoint: 'javascript:alert(1)' }, /"endpoint"/],
    [{ site: 'demo', numbers: ['+31201234567'], requireConsent: 'yes' }, /"requireConsent"/],
    [{ site: 'demo', numbers: ['+31201234567'], sessionTimeout: 0 }, /"sessionTimeout"/],
    [{ site: 'demo', numbers: ['+31201234567'], timeout: 10 }, /"timeout"/],
    [{ site: 'demo', numbers: ['+31201234567'], static: { paid_search: '<b>x</b>' } }, /not a phone number/],
    [{ site: 'demo', numbers: ['+31201234567'], rules: [{ path: '/x' }] }, /rules\[0\]/],
    [{ site: 'demo', numbers: ['+31201234567'], leaseFor: 'paid_search' }, /"leaseFor"/],
  ])('%j', (config, message) => {
    document.body.innerHTML = '<p id="n">Bel 020 123 4567</p>';
    expect(() => init(config as Config)).toThrow(message);
    expect(text()).toBe('Bel 020 123 4567');
  });
});

describe('a config error changes nothing: no request, no storage, one warning (script tag)', () => {
  /** A bad value for every field. */
  const BAD: Record<keyof Config, unknown> = {
    site: 'a b',
    numbers: ['call us'],
    endpoint: 'pool.example.com/v1',
    static: { paid_search: 'ring us' },
    rules: [{ pool: 'ads', source: 42 }],
    leaseFor: 'paid_search',
    country: 7,
    sessionTimeout: 0,
    attributionDays: 731,
    cookieDomain: ['example.com'],
    requireConsent: 'yes',
    timeout: 10,
    debug: 1,
    root: 'main',
    observe: 'no',
    dataLayer: 0,
    attributes: ['data-phone', 'a b'],
    ignore: '[[',
  };
  beforeAll(() => warnInsteadOfThrow(true));
  afterAll(() => warnInsteadOfThrow(false));

  test('every field has a bad value here', () => expect(Object.keys(BAD).sort()).toEqual(Object.keys(FIELDS).sort()));

  test.each(Object.entries(BAD))('%s: %j', async (field, value) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const requests: string[] = [];
    server.events.on('request:start', ({ request }) => void requests.push(request.url));
    try {
      const instance = start({ [field]: value });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(text()).toBe('Bel 020 123 4567');
      expect(document.getElementById('call')!.getAttribute('href')).toBe('tel:+31201234567');
      expect(requests).toEqual([]);
      expect(stored()).toEqual({ cookie: false, keys: [] });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(field == 'numbers' || field == 'static' ? /not a phone number/ : field == 'rules' ? /rules\[0\]/ : `"${field}"`);
      expect(instance.status().error?.code).toBe('config');
    } finally {
      server.events.removeAllListeners();
      warn.mockRestore();
    }
  });
});

describe('numbers', () => {
  test('a paid visit leases and shows the pool number, in text and link; status() tells', async () => {
    const instance = start();
    await until(() => text() == 'Bel 020 765 4321');
    expect(document.getElementById('call')!.getAttribute('href')).toBe('tel:+31207654321');
    expect(instance.numbers).toEqual({ '+31201234567': '+31207654321' });
    expect(instance.status()).toMatchObject({ found: ['+31201234567'], missing: [], consent: true, lease: { session: 'sess-init-0001' } });
    expect(leases[0]).toMatchObject({ site: 'demo', targets: ['+31201234567'], source: { channel: 'paid_search', clickIds: { gclid: 'abc' } } });
  });

  test("the start is one short task: a cold visit's page, tabs and lease come a task later; a returning visitor is swapped before init returns", async () => {
    const channels: string[] = [];
    vi.stubGlobal(
      'BroadcastChannel',
      class extends BroadcastChannel {
        constructor(name: string) {
          super(name);
          channels.push(name);
        }
      },
    );
    const fetched = vi.spyOn(globalThis, 'fetch');
    const cold = start();
    // In the task that called init: the visit attributed and stored, nothing read of the page, nothing sent.
    expect(document.cookie).toContain('_callswap=');
    expect(cold.status().found).toEqual([]);
    expect(fetched).not.toHaveBeenCalled();
    expect(channels).not.toContain('callswap:demo');
    await until(() => text() == 'Bel 020 765 4321');
    expect(channels).toContain('callswap:demo');
    expect(cold.status().found).toEqual(['+31201234567']);
    cold.destroy();
    // The next page view of this visitor: the stored lease's number is on the page when init returns.
    const returning = start({}, '?page=2');
    expect(text()).toBe('Bel 020 765 4321');
    expect(returning.status()).toMatchObject({ found: ['+31201234567'], lease: { session: 'sess-init-0001' } });
    expect(leases).toHaveLength(1);
    vi.unstubAllGlobals();
  });

  test('static numbers without an endpoint: the rule pool first, then the channel', () => {
    start({ endpoint: undefined });
    expect(text()).toBe('Bel 020 555 0000');
    instances.pop()!.destroy();
    start({ endpoint: undefined, rules: [{ pool: 'brand', campaign: 'brand*' }] }, '?utm_source=google&utm_medium=cpc&utm_campaign=brand-nl');
    expect(text()).toBe('Bel 020 555 1111');
  });

  test('leaseFor limits who gets a pool number', async () => {
    start({ leaseFor: ['organic_search'] });
    await new Promise((r) => setTimeout(r, 50));
    expect(leases).toEqual([]);
    expect(text()).toBe('Bel 020 555 0000');
  });

  test('a dataLayer gets callswap.swap once per page view with a tracking number', async () => {
    const dataLayer: unknown[] = [];
    (window as { dataLayer?: unknown[] }).dataLayer = dataLayer;
    start();
    await until(() => text() == 'Bel 020 765 4321');
    const pushes = dataLayer.filter((e) => (e as { event?: string }).event == 'callswap.swap');
    // The static number is no stopgap while the lease is on its way: the page changes once, to the pool's number.
    expect(pushes).toEqual([
      { event: 'callswap.swap', callswap: { number: '+31207654321', target: '+31201234567', channel: 'paid_search', source: 'google', medium: 'cpc', campaign: undefined, term: undefined, session: 'sess-init-0001' } },
    ]);
  });

  test('a number the page shows after init (parsed after an async script ran): its swap event and dataLayer push come then', async () => {
    const dataLayer: unknown[] = [];
    (window as { dataLayer?: unknown[] }).dataLayer = dataLayer;
    start();
    await until(() => text() == 'Bel 020 765 4321');
    instances.pop()!.destroy();
    dataLayer.length = 0;
    // The next page view of the visit: the stored lease, and a body not parsed yet when callswap starts.
    history.replaceState(null, '', '/?page=2');
    document.body.innerHTML = '';
    const instance = init(BASE);
    instances.push(instance);
    const swaps: [number, number][] = [];
    instance.on('swap', ({ found, count }) => swaps.push([found.length, count]));
    await new Promise((r) => setTimeout(r, 20));
    expect([swaps, [...dataLayer]]).toEqual([[[0, 0]], []]);
    document.body.innerHTML = '<p id="n">Bel 020 123 4567</p>';
    await until(() => swaps.length == 2);
    expect(text()).toBe('Bel 020 765 4321');
    expect(swaps).toEqual([[0, 0], [1, 1]]);
    expect([...dataLayer]).toEqual([{ event: 'callswap.swap', callswap: expect.objectContaining({ number: '+31207654321', target: '+31201234567', session: 'sess-init-0001' }) }]);
    // Found again (a re-render): no more events, no second push.
    document.body.innerHTML = '<p id="n">Bel 020 123 4567</p>';
    await until(() => text() == 'Bel 020 765 4321');
    await new Promise((r) => setTimeout(r, 20));
    expect([swaps.length, dataLayer.length]).toEqual([2, 1]);
  });

  test('destroy() restores the page', async () => {
    const instance = start();
    await until(() => text() == 'Bel 020 765 4321');
    instance.destroy();
    expect(text()).toBe('Bel 020 123 4567');
    expect(document.getElementById('call')!.getAttribute('href')).toBe('tel:+31201234567');
  });
});

describe('consent and privacy', () => {
  test('required and not given: nothing stored, no request, the static number from this page view', async () => {
    // Every cookie write, even a probe deleted at once, is a write.
    const writes: string[] = [];
    const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(document), 'cookie')!;
    Object.defineProperty(document, 'cookie', { configurable: true, get: () => descriptor.get!.call(document), set: (v: string) => (writes.push(v), descriptor.set!.call(document, v)) });
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    // A real domain: on localhost no cookie domain is probed at all.
    const happyDOM = (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM;
    happyDOM.setURL('https://shop.example.co.uk/?utm_source=google&utm_medium=cpc');
    document.body.innerHTML = '<p id="n">Bel 020 123 4567</p>';
    instances.push(init({ ...BASE, requireConsent: true }));
    await new Promise((r) => setTimeout(r, 50));
    delete (document as { cookie?: string }).cookie;
    happyDOM.setURL('http://localhost:3000/');
    expect(writes).toEqual([]);
    expect(setItem).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 50));
    expect(leases).toEqual([]);
    expect(stored()).toEqual({ cookie: false, keys: [] });
    expect(text()).toBe('Bel 020 555 0000');
  });

  test('granted later: stored, leased, swapped; withdrawn: everything deleted, the pool number off', async () => {
    const instance = start({ requireConsent: true });
    instance.setConsent('granted');
    await until(() => text() == 'Bel 020 765 4321');
    expect(stored().cookie).toBe(true);
    expect(stored().keys).toContain('_callswap_visitor');
    instance.setConsent('denied');
    expect(stored()).toEqual({ cookie: false, keys: [] });
    expect(text()).toBe('Bel 020 555 0000');
  });

  test('"denied" in a page view that never granted is a default (a consent manager\'s first signal), not a withdrawal', async () => {
    // An earlier page view of this visitor granted: its visit and lease are stored.
    const first = start({ requireConsent: true });
    first.setConsent('granted');
    await until(() => text() == 'Bel 020 765 4321');
    const kept = stored();
    first.destroy();
    // The next page view starts without consent, and the consent manager says "denied" before it restores the
    // visitor's choice: nothing stored is wiped, nothing is released at the pool, no other tab is told.
    const next = start({ requireConsent: true });
    next.setConsent('denied');
    await new Promise((r) => setTimeout(r, 30));
    expect(stored()).toEqual(kept);
    expect(released).toEqual([]);
    expect(text()).toBe('Bel 020 555 0000');
    // The choice restored: the same lease, shown at once, no new request.
    next.setConsent('granted');
    expect(text()).toBe('Bel 020 765 4321');
    expect(leases).toHaveLength(1);
  });

  test('"denied" after a grant in this page view is a withdrawal: everything deleted, the lease released', async () => {
    const instance = start({ requireConsent: true });
    instance.setConsent('granted');
    await until(() => text() == 'Bel 020 765 4321');
    instance.setConsent('denied');
    await until(() => released.includes('sess-init-0001'));
    expect(stored()).toEqual({ cookie: false, keys: [] });
  });

  test('IAB TCF v2.2: purpose 1 consent grants', async () => {
    let listener: ((data: unknown, ok: boolean) => void) | undefined;
    (window as { __tcfapi?: unknown }).__tcfapi = (command: string, _v: number, cb: (data: unknown, ok: boolean) => void) => {
      if (command == 'addEventListener') listener = cb;
    };
    start({ requireConsent: true });
    listener!({ eventStatus: 'cmpuishown', gdprApplies: true, listenerId: 1, purpose: { consents: {} } }, true);
    await new Promise((r) => setTimeout(r, 30));
    expect(leases).toEqual([]);
    listener!({ eventStatus: 'useractioncomplete', gdprApplies: true, listenerId: 1, purpose: { consents: { 1: true } } }, true);
    await until(() => text() == 'Bel 020 765 4321');
  });

  test('Google Consent Mode: ad_storage in gtag consent commands', async () => {
    const dataLayer: unknown[] = [];
    (window as { dataLayer?: unknown[] }).dataLayer = dataLayer;
    function gtag(..._args: unknown[]) {
      // gtag pushes its arguments object, as Google's snippet does.
      // eslint-disable-next-line prefer-rest-params
      dataLayer.push(arguments);
    }
    gtag('consent', 'default', { ad_storage: 'denied', analytics_storage: 'denied' });
    start({ requireConsent: true });
    await new Promise((r) => setTimeout(r, 30));
    expect(leases).toEqual([]);
    gtag('consent', 'update', { ad_storage: 'granted' });
    await until(() => text() == 'Bel 020 765 4321');
    instances.pop()!.destroy();
    // The page's own push is back after destroy.
    expect(dataLayer.push).toBe(Array.prototype.push);
  });

  /** Google's gtag snippet: pushes its arguments object. */
  const gtagOn = (dataLayer: unknown[]) =>
    function gtag(..._args: unknown[]) {
      // eslint-disable-next-line prefer-rest-params
      dataLayer.push(arguments);
    };

  test("Consent Mode's four signals and GA's ids (GS2 session cookie) go with the lease; a change goes once it settles, merged", async () => {
    const dataLayer: unknown[] = [];
    (window as { dataLayer?: unknown[] }).dataLayer = dataLayer;
    const gtag = gtagOn(dataLayer);
    document.cookie = '_ga=GA1.1.1234567890.1764950400; path=/';
    document.cookie = '_ga_ABC123XYZ=GS2.1.s1764950401$o3$g1$t1764951000$j60$l0$h0; path=/';
    gtag('consent', 'default', { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'denied', wait_for_update: 500 });
    const instance = start();
    await until(() => leases.length == 1);
    expect(leases[0]).toMatchObject({
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'denied' },
      ga: { clientId: '1234567890.1764950400', sessionId: '1764950401' },
    });
    await until(() => text() == 'Bel 020 765 4321');
    // The banner's answer: only what changed is in the command; the pool hears all four as they are now, once.
    gtag('consent', 'update', { ad_user_data: 'granted' });
    gtag('consent', 'update', { ad_personalization: 'granted' });
    await until(() => poolEvents.some((e) => e.type == 'consent'));
    await new Promise((r) => setTimeout(r, 600));
    expect(poolEvents.filter((e) => e.type == 'consent')).toEqual([
      { type: 'consent', page: '/', consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' }, ga: { clientId: '1234567890.1764950400', sessionId: '1764950401' } },
    ]);
    expect(instance.status().signals).toEqual({ ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' });
  });

  test("GA's ids: the older GS1 session cookie; none without analytics_storage granted, nor under Global Privacy Control", async () => {
    const dataLayer: unknown[] = [];
    (window as { dataLayer?: unknown[] }).dataLayer = dataLayer;
    document.cookie = '_ga=GA1.2.987654321.1764000000; path=/';
    document.cookie = '_ga_OLD1=GS1.1.1764950400.5.1.1764951000.0.0.0; path=/';
    gtagOn(dataLayer)('consent', 'default', { analytics_storage: 'granted' });
    start();
    await until(() => leases.length == 1);
    expect(leases[0]).toMatchObject({ consent: { analytics_storage: 'granted' }, ga: { clientId: '987654321.1764000000', sessionId: '1764950400' } });
    instances.pop()!.destroy();
    localStorage.clear();
    leases = [];
    gtagOn(dataLayer)('consent', 'update', { analytics_storage: 'denied' });
    start();
    await until(() => leases.length == 1);
    expect(leases[0]).toMatchObject({ consent: { analytics_storage: 'denied' } });
    expect(leases[0]).not.toHaveProperty('ga');
    instances.pop()!.destroy();
    localStorage.clear();
    leases = [];
    gtagOn(dataLayer)('consent', 'update', { analytics_storage: 'granted' });
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    start();
    await until(() => leases.length == 1);
    expect(leases[0]).not.toHaveProperty('ga');
  });

  test("IAB TCF v2.2 by Google's mapping: ad_storage ← 1, ad_user_data ← 1 and 7, ad_personalization ← 3 and 4; no analytics_storage", async () => {
    let listener: ((data: unknown, ok: boolean) => void) | undefined;
    (window as { __tcfapi?: unknown }).__tcfapi = (command: string, _v: number, cb: (data: unknown, ok: boolean) => void) => {
      if (command == 'addEventListener') listener = cb;
    };
    const instance = start({ requireConsent: true });
    listener!({ eventStatus: 'useractioncomplete', gdprApplies: true, listenerId: 1, purpose: { consents: { 1: true, 3: true, 4: true, 7: false } } }, true);
    await until(() => leases.length == 1);
    expect((leases[0] as { consent: unknown }).consent).toEqual({ ad_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'granted' });
    listener!({ eventStatus: 'useractioncomplete', gdprApplies: true, listenerId: 1, purpose: { consents: { 1: true, 7: true } } }, true);
    expect(instance.status().signals).toEqual({ ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied' });
    // Where GDPR does not apply, nothing needs consent: all four granted.
    listener!({ eventStatus: 'tcloaded', gdprApplies: false, listenerId: 1 }, true);
    expect(instance.status().signals).toEqual({ ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' });
  });

  test("setConsent with the signals one by one: ad_storage decides storing; the rest goes to the pool; a misspelt one is said and ignored", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const instance = start({ requireConsent: true, debug: true });
    instance.setConsent({ ad_user_data: 'granted' });
    await new Promise((r) => setTimeout(r, 30));
    expect(leases).toEqual([]);
    instance.setConsent({ ad_storage: 'granted', ad_personalisation: 'granted', analytics_storage: 'yes' } as never);
    await until(() => leases.length == 1);
    expect((leases[0] as { consent: unknown }).consent).toEqual({ ad_user_data: 'granted', ad_storage: 'granted' });
    expect(warn.mock.calls.flat().join(' ')).toMatch(/consent: ignored ad_personalisation[\s\S]*consent: ignored analytics_storage/);
    // 'granted' and 'denied' say all four at once.
    instance.setConsent('denied');
    expect(instance.status()).toMatchObject({ consent: false, signals: { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' } });
    await until(() => released.includes('sess-init-0001'));
    warn.mockRestore();
  });

  test('Global Privacy Control: no visitor id kept or sent, no click id sent or stored', async () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    start({}, '?utm_source=google&utm_medium=cpc&gclid=abc&msclkid=def&page=2');
    await until(() => leases.length == 1);
    expect(leases[0]).toMatchObject({ visitor: null, source: { channel: 'paid_search', clickIds: {} } });
    // Not in the landing page's query either, nor in anything stored.
    expect(JSON.stringify(leases[0])).not.toMatch(/gclid|msclkid|abc|def/);
    expect(stored().keys).not.toContain('_callswap_visitor');
    const everything = decodeURIComponent(document.cookie) + JSON.stringify({ ...localStorage });
    expect(everything).toContain('_callswap');
    expect(everything).not.toMatch(/gclid|msclkid|=abc|"abc"|def/);
    expect(everything).toContain('page=2');
  });

  test('withdrawn: the lease is released at the pool; every open tab follows within a second', async () => {
    const tab = (id: string) => {
      const root = document.createElement('div');
      root.id = id;
      root.innerHTML = '<p>Bel 020 123 4567</p>';
      document.body.append(root);
      const instance = init({ ...BASE, root });
      instances.push(instance);
      return { instance, text: () => root.textContent };
    };
    history.replaceState(null, '', '/?utm_source=google&utm_medium=cpc');
    document.body.innerHTML = '';
    const one = tab('one');
    await until(() => one.text() == 'Bel 020 765 4321');
    const two = tab('two');
    await until(() => two.text() == 'Bel 020 765 4321');
    one.instance.setConsent('denied');
    await until(() => released.includes('sess-init-0001'));
    // The other tab heard it: the pool number is off there too, and it stores and asks nothing more.
    await until(() => two.text() == 'Bel 020 555 0000' && !two.instance.status().consent);
    expect(stored()).toEqual({ cookie: false, keys: [] });
    const before = leases.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(stored()).toEqual({ cookie: false, keys: [] });
    expect(leases.length).toBe(before);
    // Granted again in the other tab: both lease and show the pool's number.
    two.instance.setConsent('granted');
    await until(() => one.text() == 'Bel 020 765 4321' && two.text() == 'Bel 020 765 4321');
  });
});

describe('static numbers', () => {
  const TWO = { numbers: ['+31 20 123 4567', '+31 88 545 4000'] };
  const page = '<p id="n">Bel 020 123 4567</p><p id="m">Service 088 545 4000</p>';

  test('a number given as a string is the main line\'s: the first site number only', () => {
    history.replaceState(null, '', '/?utm_source=google&utm_medium=cpc');
    document.body.innerHTML = page;
    instances.push(init({ ...BASE, ...TWO, endpoint: undefined }));
    expect(document.body.textContent).toBe('Bel 020 555 0000Service 088 545 4000');
  });

  test('while the first lease is on its way the page keeps its own numbers: one change, to the pool\'s', async () => {
    server.use(http.post(`${ENDPOINT}/sessions`, async () => {
      await delay(100);
      return HttpResponse.json({ session: 'sess-init-0002', numbers: { '+31201234567': '+31207654321' }, ttl: 1800, heartbeat: 60 }, { status: 201, headers: CORS });
    }));
    const instance = start();
    const changes: string[] = [];
    instance.on('swap', () => changes.push(text()));
    await new Promise((r) => setTimeout(r, 30));
    expect(text()).toBe('Bel 020 123 4567');
    await until(() => text() == 'Bel 020 765 4321');
    expect(changes.filter((t) => t != 'Bel 020 123 4567')).toEqual(['Bel 020 765 4321']);
  });

  test('the static number is the fallback when the pool fails, and for a site number the pool has none for', async () => {
    server.use(http.post(`${ENDPOINT}/sessions`, () => HttpResponse.json({ error: 'unknown_site' }, { status: 404, headers: CORS })));
    start();
    await until(() => text() == 'Bel 020 555 0000');
    server.resetHandlers();
    localStorage.clear();
    for (const origin in paused) delete paused[origin];
    history.replaceState(null, '', '/?utm_source=google&utm_medium=cpc&x=1');
    document.body.innerHTML = page;
    instances.push(init({ ...BASE, ...TWO, static: { paid_search: { '+31 88 545 4000': '+31 88 555 0000' } } }));
    await until(() => document.body.textContent == 'Bel 020 765 4321Service 088 555 0000');
  });
});

describe('a guest nobody can break', () => {
  test('outside a browser init returns an instance that does nothing and throws nothing', () => {
    const saved = { document: globalThis.document, location: globalThis.location };
    // @ts-expect-error a server has neither
    delete globalThis.document;
    // @ts-expect-error a server has neither
    delete globalThis.location;
    try {
      const instance = init(BASE);
      expect(instance.numbers).toEqual({});
      expect(() => (instance.setConsent('granted'), instance.on('swap', () => undefined)(), instance.status(), instance.destroy())).not.toThrow();
    } finally {
      Object.assign(globalThis, saved);
    }
  });

  test('an unknown config field warns once, naming the closest known one; the npm build does not throw for it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    start({ endpiont: ENDPOINT, statik: {} } as Partial<Config>);
    start({ endpiont: ENDPOINT } as Partial<Config>);
    expect(warn.mock.calls.map(([m]) => m)).toEqual(['callswap: unknown config field "endpiont" (did you mean "endpoint"?)', 'callswap: unknown config field "statik" (did you mean "static"?)']);
  });

  test.each([
    [403, 'forbidden', `callswap: add ${location.origin} to "allowedOrigins" of site "shop-a" at ${ENDPOINT}`],
    [404, 'unknown_site', `callswap: ${ENDPOINT} has no site "shop-b"`],
  ])('a %i %s from the pool warns once without debug, naming what to change; status says so', async (status, code, message) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    server.use(http.post(`${ENDPOINT}/sessions`, () => HttpResponse.json({ error: code }, { status, headers: CORS })));
    // A site id of its own: each message is said once per page (module), and other tests use "demo".
    const site = code == 'forbidden' ? 'shop-a' : 'shop-b';
    const instance = start({ site, static: {} });
    await until(() => instance.status().error?.code == code);
    // The next page view within 30 s does not ask the pool, and names the same mistake.
    const again = start({ site, static: {} });
    await until(() => again.status().error?.code == code);
    expect(warn.mock.calls.map(([m]) => m)).toEqual([message]);
    expect(text()).toBe('Bel 020 123 4567');
  });

  test('other pool failures stay out of the console without debug', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    server.use(http.post(`${ENDPOINT}/sessions`, () => HttpResponse.json({ error: 'invalid' }, { status: 400, headers: CORS })));
    const instance = start({ static: {} });
    await until(() => instance.status().error?.code == 'bad_request');
    expect(warn).not.toHaveBeenCalled();
  });

  test.each(['pool.example.com/v1', 'https//pool.example.com/v1', 'v1', 'ftp://pool.example.com/v1'])('endpoint %s is a config error naming the fix', (endpoint) => {
    expect(() => init({ ...BASE, endpoint })).toThrow(/"endpoint" must be a URL \(https:\/\/pool\.example\.com\/v1\) or a path starting with "\/"/);
  });

  test('a throwing document.cookie and localStorage leave callswap working without storage', async () => {
    Object.defineProperty(document, 'cookie', { configurable: true, get: () => { throw new DOMException('no', 'SecurityError'); }, set: () => { throw new DOMException('no', 'SecurityError'); } });
    const storage = vi.spyOn(window, 'localStorage', 'get').mockImplementation(() => {
      throw new DOMException('no', 'SecurityError');
    });
    try {
      history.replaceState(null, '', '/?utm_source=google&utm_medium=cpc');
      const instance = start({}, '?utm_source=google&utm_medium=cpc');
      await until(() => text() == 'Bel 020 765 4321');
      instance.setConsent('denied');
      expect(text()).toBe('Bel 020 555 0000');
    } finally {
      delete (document as { cookie?: string }).cookie;
      storage.mockRestore();
    }
  });

  test('an enumerable function on Object.prototype changes nothing', async () => {
    // The schema validator of this test's pool would see the inherited property too: this pool only records.
    const bodies: string[] = [];
    server.use(
      http.post(`${ENDPOINT}/sessions`, async ({ request }) => {
        bodies.push(await request.text());
        return HttpResponse.json({ session: 'sess-init-0001', numbers: { '+31201234567': '+31207654321' }, ttl: 1800, heartbeat: 60 }, { status: 201, headers: CORS });
      }),
    );
     
    (Object.prototype as Record<string, unknown>).evil = function evil() {
      throw new Error('called');
    };
    try {
      const instance = start({ rules: [{ pool: 'brand', campaign: 'spring*' }] }, '?utm_source=google&utm_medium=cpc&utm_campaign=spring');
      await until(() => text() == 'Bel 020 765 4321');
      expect(instance.status().source.pool).toBe('brand');
      expect(bodies.join()).not.toContain('evil');
      instance.destroy();
      expect(text()).toBe('Bel 020 123 4567');
    } finally {
      delete (Object.prototype as Record<string, unknown>).evil;
    }
  });

  test('status() tells the endpoint and the lease\'s numbers', async () => {
    const instance = start();
    await until(() => text() == 'Bel 020 765 4321');
    expect(instance.status()).toMatchObject({ endpoint: ENDPOINT, lease: { session: 'sess-init-0001', numbers: { '+31201234567': '+31207654321' } } });
  });
});

test('the debug badge shows the facts, is ignored by the swap, and goes away', async () => {
  const instance = start();
  await until(() => text() == 'Bel 020 765 4321');
  const remove = showDebug(instance);
  const badge = document.querySelector('[data-callswap-ignore][role=status]')!;
  expect(badge.textContent).toContain('channel   paid_search');
  expect(badge.textContent).toContain('source    google / cpc');
  expect(badge.textContent).toContain('+31201234567 → +31207654321');
  expect(badge.textContent).toMatch(/lease {5}sess-ini…, (30m 0s|29m 5\ds) left/);
  expect(badge.textContent).toContain('missing   none');
  remove();
  expect(document.querySelector('[role=status]')).toBeNull();
});

describe('click-to-call', () => {
  const click = (selector: string) => document.querySelector(selector)!.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));

  test('a tap on a tel: link to the tracking number: a click event, a dataLayer push, a pool event', async () => {
    const dataLayer: unknown[] = [];
    (window as { dataLayer?: unknown[] }).dataLayer = dataLayer;
    const instance = start();
    await until(() => text() == 'Bel 020 765 4321');
    const clicks: unknown[] = [];
    instance.on('click', (e) => clicks.push(e));
    // On the link's inner element, as a finger lands.
    click('#call span');
    await until(() => clicks.length == 1);
    expect(clicks).toEqual([{ number: '+31207654321', target: '+31201234567', kind: 'tel' }]);
    expect(dataLayer.filter((e) => (e as { event: string }).event == 'callswap.click')).toEqual([
      { event: 'callswap.click', callswap: { number: '+31207654321', target: '+31201234567', channel: 'paid_search', source: 'google', medium: 'cpc', campaign: undefined, term: undefined, session: 'sess-init-0001' } },
    ]);
    await until(() => poolEvents.some((e) => e.type == 'click'));
    // The page's consent signals go along (none said here).
    expect(poolEvents.find((e) => e.type == 'click')).toEqual({ type: 'click', page: '/', target: '+31201234567', consent: {} });
  });

  test('sms: with several recipients, callto:, an extension, the site\'s own number; ordinary links and other numbers are nothing', async () => {
    const instance = start({ endpoint: undefined }, '?utm_source=newsletter&utm_medium=email');
    const clicks: { number: string; kind: string }[] = [];
    instance.on('click', (e) => clicks.push(e));
    document.body.insertAdjacentHTML(
      'beforeend',
      '<a id="sms" href="sms:+15555550100,%2B31201234567?body=hi">text us</a><a id="callto" href="callto:+31-20-123-4567">call</a>' +
        '<a id="skype" href=" callto://+31201234567">skype</a><a id="ext" href="tel:+31201234567;ext=12">ext</a>' +
        '<a id="plain" href="/contact">contact</a><a id="other" href="tel:+31209999999">other</a><a id="bad" href="tel:%E0%A4%A">bad</a><a id="none">x</a>',
    );
    for (const id of ['sms', 'callto', 'skype', 'ext', 'plain', 'other', 'bad', 'none', 'n']) click(`#${id}`);
    await new Promise((r) => setTimeout(r, 20));
    // Every link the swap engine swaps (callto://, a ;ext= parameter) is a link whose tap counts.
    expect(clicks).toEqual([
      { number: '+31201234567', target: '+31201234567', kind: 'sms' },
      { number: '+31201234567', target: '+31201234567', kind: 'tel' },
      { number: '+31201234567', target: '+31201234567', kind: 'tel' },
      { number: '+31201234567', target: '+31201234567', kind: 'tel' },
    ]);
    instance.destroy();
    click('#callto');
    await new Promise((r) => setTimeout(r, 20));
    expect(clicks).toHaveLength(4);
  });
});
