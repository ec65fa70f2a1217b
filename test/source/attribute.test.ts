import { describe, expect, test } from 'vitest';
import { attribute } from '../../src/source/attribute';
import { detectSource } from '../../src/source/detectSource';

const MINUTE = 6e4;
const DAY = 864e5;
const at = (query: string, referrer = '') => detectSource({ url: 'https://www.example.com/' + query, referrer });
const paid = at('?utm_source=google&utm_medium=cpc&utm_campaign=spring');
const social = at('', 'https://www.facebook.com/');
const direct = at('');

describe('attribute (last non-direct click)', () => {
  const first = attribute(paid, undefined, 1000).visit;

  test('a first visit starts a session with its own source', () => {
    expect(attribute(paid, undefined, 1000)).toEqual({ visit: { source: paid, at: 1000, start: 1000, last: 1000 }, newSession: true });
  });

  test('a direct page view inside the session keeps source and session', () => {
    const next = attribute(direct, first, 1000 + 10 * MINUTE);
    expect(next.newSession).toBe(false);
    expect(next.visit).toEqual({ source: paid, at: 1000, start: 1000, last: 1000 + 10 * MINUTE });
  });

  test('reloading the same landing URL is the same session', () => {
    expect(attribute(paid, first, 1000 + MINUTE).newSession).toBe(false);
  });

  test('a new non-direct source replaces the stored one and starts a new session', () => {
    const next = attribute(social, first, 1000 + MINUTE);
    expect(next.newSession).toBe(true);
    expect(next.visit.source).toBe(social);
  });

  test('30 minutes without activity end the session but not the attribution', () => {
    const active = attribute(direct, first, 1000 + 29 * MINUTE).visit;
    const later = attribute(direct, active, active.last + 30 * MINUTE);
    expect(later.newSession).toBe(true);
    expect(later.visit.source).toBe(paid);
    expect(later.visit.at).toBe(1000);
  });

  test('the session timeout is configurable', () => {
    expect(attribute(direct, first, 1000 + 10 * MINUTE, { sessionTimeout: 5 }).newSession).toBe(true);
  });

  test('after the attribution window a direct visit is direct', () => {
    const later = attribute(direct, first, 1000 + 31 * DAY);
    expect(later.visit.source).toBe(direct);
    expect(attribute(direct, first, 1000 + 6 * DAY, { attributionDays: 7 }).visit.source).toBe(paid);
    expect(attribute(direct, first, 1000 + 8 * DAY, { attributionDays: 7 }).visit.source).toBe(direct);
  });

  test('a stored visit from the future (clock change) starts over', () => {
    expect(attribute(direct, first, 0).newSession).toBe(true);
  });
});
