// getGaIds on its own: GA's client id from _ga and its session id from _ga_<container>, in both cookie formats.
import { afterEach, expect, test } from 'vitest';
import { getGaIds } from '../../src/storage/getGaIds';

const set = (...cookies: string[]) => cookies.forEach((c) => (document.cookie = `${c}; path=/`));
afterEach(() => document.cookie.split('; ').forEach((c) => (document.cookie = `${c.split('=')[0]}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`)));

test('no _ga cookie: no ids', () => {
  set('_ga_ABC123=GS2.1.s1765000000$o1$g0$t1765000000$j60$l0$h0');
  expect(getGaIds()).toBeUndefined();
});

test('the client id, and the session id in the newer GS2 format', () => {
  set('_ga=GA1.1.1234567890.1765000000', '_ga_ABC123=GS2.1.s1765000123$o3$g1$t1765000200$j60$l0$h0');
  expect(getGaIds()).toEqual({ clientId: '1234567890.1765000000', sessionId: '1765000123' });
});

test('the session id in the older GS1 format; a client id alone', () => {
  set('_ga=GA1.2.987654321.1700000000', '_ga_XYZ=GS1.1.1700000456.4.1.1700000500.0.0.0');
  expect(getGaIds()).toEqual({ clientId: '987654321.1700000000', sessionId: '1700000456' });
  document.cookie = '_ga_XYZ=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  expect(getGaIds()).toEqual({ clientId: '987654321.1700000000' });
});
