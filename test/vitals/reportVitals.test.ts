// reportVitals on its own: each Core Web Vital web-vitals reports goes to the pool as a `vitals` event of the lease
// it belongs to, the way the SDK sends every event; nothing without a session, nothing after stop.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { Metric } from 'web-vitals';

const reporters: Record<string, (metric: Metric) => void> = {};
vi.mock('web-vitals', () => ({
  onCLS: (fn: (m: Metric) => void) => (reporters.CLS = fn),
  onINP: (fn: (m: Metric) => void) => (reporters.INP = fn),
  onLCP: (fn: (m: Metric) => void) => (reporters.LCP = fn),
}));
const { reportVitals } = await import('../../src/vitals/reportVitals');

let sent: { url: string; init: RequestInit }[] = [];
beforeEach(() => {
  sent = [];
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => (sent.push({ url, init }), Promise.resolve(new Response(null, { status: 204 }))));
});
afterEach(() => vi.unstubAllGlobals());

const metric = (name: string, value: number, rating = 'good') => ({ name, value, rating }) as Metric;

test('each metric is a vitals event of the session: CLS in thousandths, times in ms, rounded; keepalive text/plain, no cookies', () => {
  reportVitals({ endpoint: 'https://pool.test/v1/', session: 'sess/0001' });
  reporters.CLS(metric('CLS', 0.0423));
  reporters.LCP(metric('LCP', 1234.56, 'needs-improvement'));
  reporters.INP(metric('INP', 88));
  expect(sent.map((s) => s.url)).toEqual(Array(3).fill('https://pool.test/v1/sessions/sess%2F0001/events'));
  expect(sent.map((s) => JSON.parse(s.init.body as string))).toEqual([
    { type: 'vitals', page: location.pathname, name: 'CLS', value: 42, rating: 'good' },
    { type: 'vitals', page: location.pathname, name: 'LCP', value: 1235, rating: 'needs-improvement' },
    { type: 'vitals', page: location.pathname, name: 'INP', value: 88, rating: 'good' },
  ]);
  expect(sent[0].init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'same-origin', referrerPolicy: 'no-referrer', headers: { 'content-type': 'text/plain' } });
});

test('a session told by a function is read when a metric comes: none yet, nothing sent', () => {
  const lease: { session?: string } = {};
  reportVitals({ endpoint: 'https://pool.test/v1', session: () => lease.session });
  reporters.LCP(metric('LCP', 900));
  expect(sent).toEqual([]);
  lease.session = 'sess-0002';
  reporters.INP(metric('INP', 40));
  expect(sent.map((s) => s.url)).toEqual(['https://pool.test/v1/sessions/sess-0002/events']);
});

test('after stop nothing more is sent', () => {
  const stop = reportVitals({ endpoint: 'https://pool.test/v1', session: 'sess-0003' });
  stop();
  reporters.CLS(metric('CLS', 0.1));
  expect(sent).toEqual([]);
});
