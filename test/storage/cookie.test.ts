// The cookie helpers on their own: what each writes to document.cookie (attributes included), and that a page whose
// cookies throw costs nothing.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { findCookieDomain, readCookie, removeCookie, writeCookie } from '../../src/storage/cookie';

/** Records every string written to document.cookie while `fn` runs, as the browser would see them. */
const writes = (fn: () => void): string[] => {
  const seen: string[] = [];
  let proto = Object.getPrototypeOf(document);
  while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto);
  const own = Object.getOwnPropertyDescriptor(proto, 'cookie')!;
  Object.defineProperty(document, 'cookie', {
    configurable: true,
    get: () => own.get!.call(document),
    set: (value: string) => {
      seen.push(value);
      own.set!.call(document, value);
    },
  });
  try {
    fn();
  } finally {
    delete (document as { cookie?: string }).cookie;
  }
  return seen;
};

afterEach(() => vi.unstubAllGlobals());

describe('findCookieDomain', () => {
  test('IP addresses and single-label hosts take host-only cookies: nothing is probed', () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) expect(writes(() => expect(findCookieDomain(host)).toBeUndefined())).toEqual([]);
  });

  test('the probe cookie is SameSite=Lax, and Secure on https', () => {
    vi.stubGlobal('location', { ...location, protocol: 'https:', hostname: 'localhost' });
    const seen = writes(() => findCookieDomain('shop.example.test'));
    expect(seen.length).toBeGreaterThan(0);
    for (const cookie of seen.filter((c) => !/expires=Thu, 01 Jan 1970|max-age=-1|expires=.*1970/i.test(c))) {
      expect(cookie).toMatch(/^_callswap_probe=1;/);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      expect(cookie).toMatch(/; Secure/i);
    }
  });

  test('on http the probe is not Secure (the browser would refuse it)', () => {
    vi.stubGlobal('location', { ...location, protocol: 'http:' });
    for (const cookie of writes(() => findCookieDomain('shop.example.test'))) expect(cookie).not.toMatch(/; Secure/i);
  });

  test('suffixes shaped like public ones (co.uk, com.au) are never probed: Firefox logs each cookie it refuses', () => {
    for (const [host, first] of [['shop.example.co.uk', 'example.co.uk'], ['www.example.com.au', 'example.com.au'], ['www.example.com', 'example.com']]) {
      const domains = writes(() => findCookieDomain(host)).map((c) => /domain=([^;]+)/i.exec(c)?.[1]);
      expect(domains[0], host).toBe(first);
      expect(domains.filter((d) => /^(co\.uk|com\.au|uk|au|com)$/.test(d ?? '')), host).toEqual([]);
    }
  });

  test('a page whose document.cookie throws gets no domain, and no exception', () => {
    Object.defineProperty(document, 'cookie', { configurable: true, get: () => { throw new Error('blocked'); }, set: () => { throw new Error('blocked'); } });
    try {
      expect(findCookieDomain('shop.example.test')).toBeUndefined();
      expect(readCookie('x')).toBeUndefined();
      expect(() => writeCookie('x', { a: 1 }, { days: 1 })).not.toThrow();
      expect(() => removeCookie('x', 'shop.example.test')).not.toThrow();
    } finally {
      delete (document as { cookie?: string }).cookie;
    }
  });
});

describe('writeCookie, readCookie, removeCookie', () => {
  test('a JSON value round-trips; writes are SameSite=Lax with an expiry, Secure on https', () => {
    vi.stubGlobal('location', { ...location, protocol: 'https:' });
    const [written] = writes(() => writeCookie('_callswap_test', { a: 'é;=,' }, { days: 2 }));
    expect(written).toMatch(/; expires=/i);
    expect(written).toMatch(/; SameSite=Lax/i);
    expect(written).toMatch(/; Secure/i);
    vi.unstubAllGlobals();
    writeCookie('_callswap_test', { a: 'é;=,' }, { days: 2 });
    expect(readCookie('_callswap_test')).toEqual({ a: 'é;=,' });
    removeCookie('_callswap_test', location.hostname);
    expect(readCookie('_callswap_test')).toBeUndefined();
  });

  test('removing names the domain the cookie was written on and the likely registrable domain, never a public suffix', () => {
    const happyDOM = (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM;
    happyDOM.setURL('https://shop.example.co.uk/');
    try {
      writeCookie('_callswap_test', { a: 1 }, { domain: 'example.co.uk', days: 1 });
      expect(readCookie('_callswap_test')).toEqual({ a: 1, d: 'example.co.uk' });
      const removals = writes(() => removeCookie('_callswap_test', 'shop.example.co.uk'));
      expect([...new Set(removals.map((c) => /domain=([^;]+)/i.exec(c)?.[1] ?? '(host-only)'))]).toEqual(['example.co.uk', '(host-only)']);
      expect(readCookie('_callswap_test')).toBeUndefined();
      // On an address, host-only only.
      expect(writes(() => removeCookie('_callswap_test', '127.0.0.1')).map((c) => /domain=/i.test(c))).toEqual([false]);
    } finally {
      happyDOM.setURL('http://localhost:3000/');
    }
  });

  test('the value keeps the characters a cookie value allows and percent-encodes the rest (`%` too): short, readable JSON', () => {
    const value = { url: 'https://example.com/?a=1&b=50%', note: 'é; x,"y"\\' };
    const [written] = writes(() => writeCookie('_callswap_test', value, { days: 1 }));
    const raw = /^_callswap_test=([^;]*);/.exec(written)![1];
    expect(raw).toMatch(/^\{%22url%22:%22https:\/\/example\.com\/\?a=1&b=50%25%22%2C%22note%22:%22%C3%A9%3B%20x%2C/);
    // RFC 6265 cookie-octets only: no whitespace, DQUOTE, comma, semicolon or backslash.
    expect(raw).toMatch(/^[!#-+\--:<-[\]-~]*$/);
    expect(readCookie('_callswap_test')).toEqual(value);
    removeCookie('_callswap_test', location.hostname);
  });

  test('a visit stored by an older callswap (js-cookie 3 encoding) still reads', () => {
    // What js-cookie 3.0.8 wrote for { source: { landingPage: "https://example.com/?gclid=a%2Fb" }, d: undefined }.
    document.cookie = '_callswap_test={%22source%22:{%22landingPage%22:%22https://example.com/?gclid=a%252Fb%22}}; path=/';
    expect(readCookie('_callswap_test')).toEqual({ source: { landingPage: 'https://example.com/?gclid=a%2Fb' } });
    removeCookie('_callswap_test', location.hostname);
  });

  test('attributionDays 0 writes a cookie that expires at once, as before', () => {
    const [written] = writes(() => writeCookie('_callswap_test', { a: 1 }, { days: 0 }));
    expect(Date.parse(/expires=([^;]+)/i.exec(written)![1])).toBeLessThanOrEqual(Date.now());
  });

  test('a cookie that is not JSON reads as undefined', () => {
    document.cookie = '_callswap_bad=%7Bnot json';
    expect(readCookie('_callswap_bad')).toBeUndefined();
    document.cookie = '_callswap_bad=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });
});
