import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { detectSource } from '../../src/source/detectSource';
import { VISIT_COOKIE, forgetVisit, trackVisit } from '../../src/storage/visit';

const MINUTE = 6e4;
const at = (query: string, referrer = '') => detectSource({ url: 'https://www.example.com/' + query, referrer });
const paid = at('?utm_source=google&utm_medium=cpc&utm_campaign=spring');
const direct = at('');

describe('trackVisit (stored in a first-party cookie)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z'), toFake: ['Date'] });
    forgetVisit(location.hostname);
  });
  afterEach(() => {
    vi.useRealTimers();
    forgetVisit(location.hostname);
  });

  const cookie = () => document.cookie.split('; ').find((c) => c.startsWith(VISIT_COOKIE + '='));

  test('keeps the paid source across direct page views, and writes nothing without consent', () => {
    expect(trackVisit(paid, Date.now(), { store: false }).visit.source).toBe(paid);
    expect(cookie()).toBeUndefined();

    trackVisit(paid, Date.now(), { store: true });
    expect(cookie()).toBeDefined();
    vi.advanceTimersByTime(5 * MINUTE);
    const next = trackVisit(direct, Date.now(), { store: true });
    expect(next.visit.source).toEqual(paid);
    expect(next.newSession).toBe(false);

    vi.advanceTimersByTime(2 * 60 * MINUTE);
    const later = trackVisit(direct, Date.now(), { store: true });
    expect(later.newSession).toBe(true);
    expect(later.visit.source.campaign).toBe('spring');
  });

  test('a direct visit without consent stands alone even when a cookie exists', () => {
    trackVisit(paid, Date.now(), { store: true });
    expect(trackVisit(direct, Date.now(), { store: false }).visit.source).toBe(direct);
  });

  test('a damaged cookie counts as none', () => {
    document.cookie = `${VISIT_COOKIE}=%7Bnot json; path=/`;
    expect(trackVisit(direct, Date.now(), { store: true }).visit.source).toBe(direct);
    document.cookie = `${VISIT_COOKIE}=${encodeURIComponent('{"source":1}')}; path=/`;
    expect(trackVisit(direct, Date.now(), { store: true }).newSession).toBe(true);
  });

  test('long landing pages are cut in the cookie, not in the visit', () => {
    const long = at('?utm_source=a&x=' + 'y'.repeat(3000));
    expect(trackVisit(long, Date.now(), { store: true }).visit.source.landingPage.length).toBeGreaterThan(3000);
    expect(cookie()!.length).toBeLessThan(2000);
  });

  test('forgetVisit deletes the cookie', () => {
    trackVisit(paid, Date.now(), { store: true });
    forgetVisit(location.hostname);
    expect(cookie()).toBeUndefined();
  });
});
