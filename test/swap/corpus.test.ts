import { afterEach, describe, expect, test } from 'vitest';
import { findNumbers, isValidPhoneNumber, type CountryCode } from 'libphonenumber-js/max';
import { createMatcher, e164, parsePhone } from '../../src/swap/phone';
import { swapNumbers, type SwapHandle } from '../../src/swap/swapNumbers';
// @ts-expect-error plain JS shared with the browser tests
import { CORPUS, trackingFor } from '../fixtures/corpus.js';

/** What `findNumbers` gives with `v2: true`. */
interface NumberFound {
  number: { number: string };
  startsAt: number;
  endsAt: number;
}

interface Snippet {
  id: string;
  country: string;
  numbers: string[];
  swaps: number;
  html: string;
}
const corpus = CORPUS as Snippet[];

let handle: SwapHandle | undefined;
afterEach(() => {
  handle?.restore();
  handle = undefined;
  document.body.innerHTML = '';
});

/** Site number → tracking number, as a snippet's config would lease them. */
const replacements = (snippet: Snippet): Record<string, string> => trackingFor(snippet);

describe.each(corpus.map((snippet) => [snippet.id, snippet] as const))('%s', (_, snippet) => {
  test('every site number a person sees is swapped, and restore() gives back the exact markup', () => {
    document.body.innerHTML = snippet.html;
    const before = document.body.innerHTML;
    handle = swapNumbers(document.body, replacements(snippet), { country: snippet.country });
    expect(handle.count).toBe(snippet.swaps);
    expect(handle.found.length > 0).toBe(snippet.swaps > 0);
    if (snippet.swaps) expect(document.body.innerHTML).not.toBe(before);
    handle.restore();
    expect(document.body.innerHTML).toBe(before);
  });
});

// ——— libphonenumber-js as an oracle ———

/** Inline elements continue a line (as in swapNumbers); every other element ends one. */
const INLINE = new Set('a abbr b bdi em font i label mark nobr small span strong sub sup time u wbr'.split(' '));

/**
 * The snippet's lines of visible text, as swapNumbers reads them: text continues over inline elements, every other
 * element ends a line.
 */
const linesOf = (html: string): string[] => {
  document.body.innerHTML = html;
  const lines = [''];
  const visit = (parent: Node): void => {
    for (let child = parent.firstChild; child; child = child.nextSibling) {
      if (child.nodeType == 3) lines[lines.length - 1] += (child as Text).data;
      else if (child.nodeType == 1 && !/^(script|style|template|svg)$/.test((child as Element).localName)) {
        const inline = INLINE.has((child as Element).localName);
        if (!inline) lines.push('');
        visit(child);
        if (!inline) lines.push('');
      }
    }
  };
  visit(document.body);
  document.body.innerHTML = '';
  return lines.filter((line) => /\d/.test(line));
};

/**
 * A found number as `line:start-end`, trimmed to its digits (and `+`): libphonenumber's span takes in a bracket
 * before the area code and an extension after the number, ours starts at the first digit, and neither is swapped.
 */
const span = (line: number, text: string, start: number, end: number): string => {
  const [found] = /\+?\d(.*\d)?/s.exec(text.slice(start, end).replace(/\s*(ext\.?|x|#)\s*\d+$/i, ''))!;
  start = text.indexOf(found, start);
  return `${line}:${start}-${start + found.length}`;
};

/** Where callswap finds the snippet's site numbers. */
const ours = (snippet: Snippet): string[] => {
  const matcher = createMatcher(replacements(snippet), snippet.country)!;
  return linesOf(snippet.html).flatMap((text, line) => matcher.find(text).map(([start, end]) => span(line, text, start, end)));
};

/**
 * Where libphonenumber finds them. Its strictest useful leniency for numbers it knows to be valid; `POSSIBLE` for
 * the fictional ranges (US 555) it rightly does not call valid.
 */
const theirs = (snippet: Snippet): string[] => {
  const sites = new Set(snippet.numbers.map((n) => e164(parsePhone(n, snippet.country)!)));
  const country = snippet.country as CountryCode;
  const leniency = snippet.numbers.every((n) => isValidPhoneNumber(n, country)) ? 'VALID' : 'POSSIBLE';
  return linesOf(snippet.html).flatMap((text, line) =>
    (findNumbers(text, { defaultCountry: country, v2: true, leniency } as never) as unknown as NumberFound[])
      .filter((m) => sites.has(m.number.number))
      .map((m) => span(line, text, m.startsAt, m.endsAt)),
  );
};

/**
 * Where we deliberately differ from libphonenumber, each with why. Any other difference fails the oracle test, and
 * each of these is asserted exactly, so a change on either side shows.
 */
const DIFFERENCES: Record<string, { ours: string[]; theirs: string[]; why: string }> = {
  'nl-middle-dot': {
    ours: ['0:0-12'],
    theirs: [],
    why: 'the middle dot (020·123·4567) is a separator on Dutch and British sites; libphonenumber knows no such separator',
  },
  'uk-middle-dot': { ours: ['0:0-13'], theirs: [], why: 'the middle dot again (020·7946·0018)' },
  'uk-order': {
    ours: [],
    theirs: ['0:7-17'],
    why: 'libphonenumber reads "#2079460018" as the London number without its trunk 0; nobody writes a number so, and it is an order number',
  },
  'de-plus-zero-typo': {
    ours: ['0:7-21'],
    theirs: [],
    why: 'a + before a trunk 0 is a typo of a national number (no country code starts with 0): people dial it as written without the +',
  },
  'fr-mentions': {
    ours: ['0:77-91'],
    theirs: ['0:36-45', '0:58-69', '0:77-91'],
    why: 'libphonenumber reads the SIREN in the VAT and RCS numbers (123 456 789) as 01 23 45 67 89 without its trunk 0; a number written nationally without its trunk prefix is never a phone number',
  },
};

describe('libphonenumber-js finds the site numbers where callswap does', () => {
  test.each(corpus.filter((s) => !DIFFERENCES[s.id]).map((s) => [s.id, s] as const))('%s', (_, snippet) => {
    expect(ours(snippet)).toEqual(theirs(snippet));
  });
});

describe('where callswap deliberately differs from libphonenumber-js', () => {
  test.each(Object.entries(DIFFERENCES).map(([id, d]) => [id, d.why, d] as const))('%s: %s', (id, _, difference) => {
    const snippet = corpus.find((s) => s.id == id)!;
    expect([ours(snippet), theirs(snippet)]).toEqual([difference.ours, difference.theirs]);
  });

  test('the national number without its trunk prefix is never a site number (libphonenumber reads 201234567 as +31 20…)', () => {
    const snippet = { id: 'x', country: 'NL', numbers: ['020 123 4567'], swaps: 0, html: '<p>Klantnummer 201234567</p>' };
    expect([ours(snippet), theirs(snippet)]).toEqual([[], ['0:12-21']]);
  });
});
