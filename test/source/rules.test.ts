// compileRules on its own: what each kind of pattern matches, and how a bad rule is reported (the npm API throws
// naming it; the script tag warns and skips it, and init then refuses the config).
import { afterEach, describe, expect, test, vi } from 'vitest';
import { warnInsteadOfThrow } from '../../src/lib/invalid';
import { compileRules, type RuleContext } from '../../src/source/rules';
import type { Rule } from '../../src/source/types';

const context = (over: Partial<RuleContext> = {}): RuleContext => ({
  channel: 'paid_search',
  source: 'google',
  medium: 'cpc',
  campaign: 'Winter-Sale',
  clickIds: {},
  landingPage: 'https://example.com/contact?x=1',
  referrer: 'google.com',
  path: '/contact',
  params: new URLSearchParams('gclid=abc&ref=partner-42'),
  ...over,
});
/** The pool the first matching rule names. */
const pool = (rules: Rule[], c = context()) => compileRules(rules).find(([matches]) => matches(c))?.[1];

afterEach(() => warnInsteadOfThrow(false));

describe('patterns', () => {
  test('a string is a case-insensitive wildcard over the whole value', () => {
    expect(pool([{ pool: 'a', campaign: 'winter-*' }])).toBe('a');
    expect(pool([{ pool: 'a', campaign: 'winter' }])).toBeUndefined();
    expect(pool([{ pool: 'a', path: '/con*' }, { pool: 'b', path: '/contact' }])).toBe('a');
    // Regex characters in a wildcard are literal.
    expect(pool([{ pool: 'a', referrer: 'google.co' }], context({ referrer: 'googlexco' }))).toBeUndefined();
  });

  test('"~…" is a case-insensitive regular expression, a RegExp is used as it is', () => {
    expect(pool([{ pool: 'a', source: '~^goo' }])).toBe('a');
    expect(pool([{ pool: 'a', source: /^GOO/ }])).toBeUndefined();
    expect(pool([{ pool: 'a', source: /^goo/ }])).toBe('a');
  });

  test('params: true present, false absent, a pattern present with a matching value; every condition must hold', () => {
    expect(pool([{ pool: 'a', params: { gclid: true } }])).toBe('a');
    expect(pool([{ pool: 'a', params: { gclid: false } }])).toBeUndefined();
    expect(pool([{ pool: 'a', params: { msclkid: false, ref: 'partner-*' } }])).toBe('a');
    expect(pool([{ pool: 'a', params: { ref: 'other-*' } }])).toBeUndefined();
    expect(pool([{ pool: 'a', channel: 'paid_search', medium: 'display' }])).toBeUndefined();
  });
});

describe('a bad rule', () => {
  test.each([
    [[{ path: '/x' }], /rules\[0\]: "pool" must name a pool/],
    [[{ pool: 'a' }, { pool: 'b', colour: 'red' }], /rules\[1\] \("b"\): "colour" is not a condition/],
    [[{ pool: 'a', params: { gclid: 42 } }], /rules\[0\] \("a"\): "params.gclid"/],
    [[{ pool: 'a', source: 7 }], /"source" is not a condition/],
  ])('%j: the npm API throws naming it', (rules, message) => {
    expect(() => compileRules(rules as Rule[])).toThrow(message);
  });

  test('not an array: named', () => expect(() => compileRules({} as Rule[])).toThrow('"rules" must be an array'));

  test('the script tag warns once and skips it', () => {
    warnInsteadOfThrow(true);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(compileRules([{ pool: 'ok', source: 'google' }, { path: '/x' } as Rule]).map(([, name]) => name)).toEqual(['ok']);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
