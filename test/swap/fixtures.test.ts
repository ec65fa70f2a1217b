import { beforeEach, describe, expect, test } from 'vitest';
import { loadFixture } from '../helpers';
import { swapNumbers } from '../../src/swap/swapNumbers';
// @ts-expect-error plain JS shared with the browser tests
import { fixtureConfig, mismatches } from '../fixtures/expectations.js';

describe.each(['nl-business.html', 'international.html'])('fixture %s', (name) => {
  beforeEach(() => loadFixture(name));

  test('every number is swapped in its own format; everything else stays', () => {
    const { replacements, options } = fixtureConfig(document);
    const before = document.documentElement.outerHTML;
    swapNumbers(document.documentElement, replacements, options);
    expect(mismatches(document)).toEqual([]);
    expect(document.documentElement.outerHTML).not.toBe(before);
  });

  test('restore() puts back every original exactly', () => {
    const { replacements, options } = fixtureConfig(document);
    const before = document.documentElement.outerHTML;
    const handle = swapNumbers(document.documentElement, replacements, options);
    expect(handle.count).toBeGreaterThan(5);
    handle.restore();
    expect(document.documentElement.outerHTML).toBe(before);
  });

  test('swapping twice changes nothing more', () => {
    const { replacements, options } = fixtureConfig(document);
    swapNumbers(document.documentElement, replacements, options);
    const once = document.documentElement.outerHTML;
    const again = swapNumbers(document.documentElement, replacements, options);
    expect(again.count).toBe(0);
    expect(document.documentElement.outerHTML).toBe(once);
  });
});
