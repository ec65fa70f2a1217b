// The cookie helpers on their own: what each writes to document.cookie (attributes included), and that a page whose
// cookies throw costs nothing.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { findCookieDomain, readCookie, removeCookie, writeCookie } from '../../src/storage/cookie';

/** Records every string written to document.cookie while `fn` runs, as the browser would see them. */
const writes = (fn: () => void): string[] => {
  const seen: string[] = [];
  const own = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(document), 'cookie')!;
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

  test('a cookie that is not JSON reads as undefined', () => {
    document.cookie = '_callswap_bad=%7Bnot json';
    expect(readCookie('_callswap_bad')).toBeUndefined();
    document.cookie = '_callswap_bad=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });
});
