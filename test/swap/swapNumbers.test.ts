import { afterEach, describe, expect, test, vi } from 'vitest';
import { createMatcher, parsePhone } from '../../src/swap/phone';
import { swapNumbers, type SwapHandle } from '../../src/swap/swapNumbers';

const NL = { '+31 20 123 4567': '+31 20 765 4321' };
const frame = () => new Promise((resolve) => setTimeout(resolve, 0));
let handle: SwapHandle | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  handle?.restore();
  handle = undefined;
  document.body.innerHTML = '';
});

const page = (html: string): HTMLElement => {
  document.body.innerHTML = html;
  return document.body;
};

describe('matching (the written forms of one number)', () => {
  const m = createMatcher({ '+31201234567': '+31207654321', '+15555550123': '+15555559876', '+390612345678': '+390687654321' })!;
  test.each([
    ['020 123 4567', '020 765 4321'],
    ['+31 (0)20-123 45 67', '+31 (0)20-765 43 21'],
    ['0031201234567', '0031207654321'],
    ['0031 20 1234567', '0031 20 7654321'],
    ['+31 020 123 4567', '+31 020 765 4321'],
    ['+31201234567', '+31207654321'],
    ['020\u00a0123\u202f4567', '020\u00a0765\u202f4321'],
    ['020\u2013123\u20134567', '020\u2013765\u20134321'],
    ['020/1234567', '020/7654321'],
    ['(555) 555-0123', '(555) 555-9876'],
    ['555.555.0123', '555.555.9876'],
    ['1-555-555-0123', '1-555-555-9876'],
    ['+1 555 555 0123', '+1 555 555 9876'],
    ['06 1234 5678', '06 8765 4321'],
    ['+39 06 1234 5678', '+39 06 8765 4321'],
    ['Call 020 123 4567.', 'Call 020 765 4321.'],
    // Cut at whitespace next to a separator: two numbers, a note, digits before.
    ['020 123 4567 / 06 1234 5678', '020 765 4321 / 06 8765 4321'],
    ['020 123 4567 (24/7)', '020 765 4321 (24/7)'],
    ['Kerkstraat 12 - 020 123 4567', 'Kerkstraat 12 - 020 765 4321'],
    ['(555) 555-0123 (9AM - 5PM)', '(555) 555-9876 (9AM - 5PM)'],
    ['0031 (0)20 1234567', '0031 (0)20 7654321'],
    ['020·123·4567', '020·765·4321'],
  ])('%s → %s', (written, expected) => {
    expect(m.replace(written)?.[0]).toBe(expected);
  });

  test.each([
    ['+31 20 123 4567 8', 'a longer number that contains the digits'],
    ['20201234567', 'an order number with the digits inside'],
    ['NL02 ABNA 0201 2345 67', 'an IBAN'],
    ['NL02ABNA0201234567', 'a compact IBAN'],
    ['X0201234567', 'glued to a letter'],
    ['201234567', 'the national number without its trunk 0'],
    ['+1 020 123 4567', 'another country'],
    ['020 123 456', 'a shorter number'],
    ['020 123 45678', 'one run: a single separator between digit groups binds'],
    ['020 123 4567-8', 'one run: a dash without spaces binds'],
  ])('leaves %s alone (%s)', (written) => {
    expect(m.replace(written)).toBeUndefined();
  });

  test.each([
    ['tel:+31-20-123-4567', 'tel:+31-20-765-4321'],
    ['tel:0201234567', 'tel:0207654321'],
    ['tel:%2B31201234567', 'tel:%2B31207654321'],
    ['tel:%2B31%2020%20123%204567', 'tel:%2B31%2020%20765%204321'],
    ['TEL:+31201234567', 'TEL:+31207654321'],
    ['tel:+15555550123;ext=12', 'tel:+15555559876;ext=12'],
    ['sms:+31201234567?body=Hello%20there', 'sms:+31207654321?body=Hello%20there'],
    ['callto://+31201234567', 'callto://+31207654321'],
    [' tel:+31201234567 ', ' tel:+31207654321 '],
    ['\ttel:0201234567', '\ttel:0207654321'],
    ['sms:+31201234567,+15555550123', 'sms:+31207654321,+15555559876'],
    ['sms:+31611122233,0201234567?body=Hi', 'sms:+31611122233,0207654321?body=Hi'],
    ['sms:%2B31201234567,%2B15555550123', 'sms:%2B31207654321,%2B15555559876'],
    ['tel:+31201234567,,12', 'tel:+31207654321,,12'],
  ])('href %s → %s', (href, expected) => {
    const a = page(`<a href="${href}">x</a>`).querySelector('a')!;
    handle = swapNumbers(document.body, { '+31201234567': '+31207654321', '+15555550123': '+15555559876' });
    expect(a.getAttribute('href')).toBe(expected);
  });

  test.each([
    ['mailto:020 123 4567'],
    ['https://example.com/0201234567'],
    ['tel:+31201234568'],
    ['javascript:0201234567'],
    ['https://hotel:0201234567@example.com/'],
    ['https://wa.me/31201234567'],
    ['https://api.whatsapp.com/send?phone=31201234567'],
    ['x tel:0201234567'],
  ])(
    'href %s is left alone',
    (href) => {
      const a = page(`<a href="${href}">x</a>`).querySelector('a')!;
      handle = swapNumbers(document.body, { '+31201234567': '+31207654321' });
      expect(a.getAttribute('href')).toBe(href);
    },
  );

  test('a tracking number with another number of digits gets a conventional grouping in the same form', () => {
    const other = createMatcher({ '+31201234567': '+318001234' })!;
    expect(other.replace('Bel 020 123 4567')?.[0]).toBe('Bel 0800 1234');
    expect(other.replace('+31 (0)20 123 4567')?.[0]).toBe('+31 (0)800 1234');
    expect(other.replace('0031201234567')?.[0]).toBe('00318001234');
    expect(other.replace('020-123-4567')?.[0]).toBe('0800-1234');
  });

  test('a tracking number from another country is written internationally where the page wrote nationally', () => {
    const abroad = createMatcher({ '+31201234567': '+3225551234' })!;
    expect(abroad.replace('020 123 4567')?.[0]).toBe('+32 2555 1234');
    expect(abroad.replace('+31 20 123 4567')?.[0]).toBe('+32 2555 1234');
  });
});

describe('parsing site numbers and tracking numbers', () => {
  test.each([
    ['+31 20 123 4567', undefined, { cc: '31', nsn: '201234567' }],
    ['+31 (0)20 123 4567', undefined, { cc: '31', nsn: '201234567' }],
    ['0031 20 1234567', undefined, { cc: '31', nsn: '201234567' }],
    ['020 123 4567', 'NL', { cc: '31', nsn: '201234567' }],
    ['020 123 4567', 'nl', { cc: '31', nsn: '201234567' }],
    ['0800 0770', 'NL', { cc: '31', nsn: '8000770' }],
    ['(555) 555-0123', 'US', { cc: '1', nsn: '5555550123' }],
    ['1-555-555-0123', 'US', { cc: '1', nsn: '5555550123' }],
    ['+1 555 555 0123', undefined, { cc: '1', nsn: '5555550123' }],
    ['06 1234 5678', 'IT', { cc: '39', nsn: '0612345678' }],
    ['+44 20 7946 0958', undefined, { cc: '44', nsn: '2079460958' }],
    ['+352 12 34 56', undefined, { cc: '352', nsn: '123456' }],
    ['+7 495 123-45-67', undefined, { cc: '7', nsn: '4951234567' }],
  ])('%s (%s)', (written, country, phone) => {
    expect(parsePhone(written, country)).toEqual(phone);
  });

  test.each([
    ['javascript:alert(1)', /javascript:alert\(1\)" is not a phone number/],
    ['<b>0201234567</b>', /is not a phone number/],
    ['+31 20 123 4567 ext. 5', /is not a phone number/],
    ['+1234567890123456789012', /is not a phone number/],
    ['020 123 4567', /country/],
    ['', /is not a phone number/],
  ])('refuses %s', (written, message) => {
    expect(() => parsePhone(written)).toThrow(message);
  });

  test('an unknown country is refused with a hint', () => {
    expect(() => parsePhone('020 123 4567', 'XX')).toThrow(/\+CC/);
  });
});

describe('swapNumbers', () => {
  test('replaces in text, split spans and links, keeping every element in place', () => {
    const root = page('<a id="a" href="tel:+31201234567" onclick="window.clicked = 1"><span>020</span> 123 <b>45</b>67</a>');
    const link = document.getElementById('a')!;
    const span = link.querySelector('span')!;
    handle = swapNumbers(root, NL);
    expect(link.textContent).toBe('020 765 4321');
    expect(link.querySelector('b')!.textContent).toBe('43');
    expect(link.getAttribute('href')).toBe('tel:+31207654321');
    expect(link.querySelector('span')).toBe(span);
    expect(link.getAttribute('onclick')).toBe('window.clicked = 1');
    expect(handle.count).toBe(2);
    expect(handle.found).toEqual(['+31201234567']);
  });

  test('a number is not joined across block elements', () => {
    const root = page('<div>020</div><div>123 4567</div><p>020<br>123 4567</p>');
    handle = swapNumbers(root, NL);
    expect(handle.count).toBe(0);
  });

  test('letters in a neighbouring element or text do not glue to a number (minified markup); in its own text they do', () => {
    const root = page(
      '<div class="card"><span>Bel</span><span id="n">020 123 4567</span><a href="/offerte">Offerte</a></div>' +
        '<p id="react">Bel ons op </p><p id="code">Code X0201234567Y</p>',
    );
    // A framework writes `Bel ons op {number}Gratis` as three texts of one element.
    document.getElementById('react')!.append('020 123 4567', 'Gratis');
    handle = swapNumbers(root, NL);
    expect(document.getElementById('n')!.textContent).toBe('020 765 4321');
    expect(document.getElementById('react')!.textContent).toBe('Bel ons op 020 765 4321Gratis');
    expect(document.getElementById('code')!.textContent).toBe('Code X0201234567Y');
    expect(handle.count).toBe(2);
  });

  test.each([
    ['<span>24/7</span><span>020 123 4567</span>', '24/7020 765 4321', 1],
    ['<span>Ma–vr 8–17</span><a href="tel:0201234567">020 123 4567</a>', 'Ma–vr 8–17020 765 4321', 2],
    ['<span>020 123 4567</span><span>020 123 4567</span>', '020 765 4321020 765 4321', 2],
    ['<span>9-17</span><b>020</b> 123 4567<sup>1</sup>', '9-17020 765 43211', 1],
  ])('digits in a neighbouring element do not hide a number (minified markup): %s', (html, text, count) => {
    const root = page(`<p>${html}</p>`);
    handle = swapNumbers(root, NL);
    expect(root.textContent).toBe(text);
    expect(handle.count).toBe(count);
    handle.restore();
    expect(root.innerHTML).toBe(`<p>${html}</p>`);
  });

  test('a long run over many tiny nodes is only tried whole', () => {
    const html = '<span>1 </span>'.repeat(2000) + '<span>020 123 4567</span>';
    const root = page(`<p>${html}</p>`);
    handle = swapNumbers(root, NL);
    expect(handle.count).toBe(0);
    expect(root.innerHTML).toBe(`<p>${html}</p>`);
  });

  test('a split number of another length keeps every element; the first one takes the number', () => {
    const root = page('<p><span class="a">020</span> <span class="b">123 4567</span></p>');
    handle = swapNumbers(root, { '+31201234567': '+318001234' });
    expect(root.querySelector('p')!.textContent).toBe('0800 1234');
    expect(root.querySelector('.a')!.textContent).toBe('0800 1234');
    expect(root.querySelector('.b')).not.toBeNull();
    handle.restore();
    expect(root.querySelector('p')!.innerHTML).toBe('<span class="a">020</span> <span class="b">123 4567</span>');
  });

  test('text attributes and extra attributes', () => {
    const root = page('<img alt="Bel 020 123 4567"><span title="020-1234567" aria-label="+31 20 123 4567" data-phone="0201234567" data-other="0201234567"></span>');
    handle = swapNumbers(root, NL, { attributes: ['data-phone'] });
    expect(root.querySelector('img')!.getAttribute('alt')).toBe('Bel 020 765 4321');
    const span = root.querySelector('span')!;
    expect([span.title, span.getAttribute('aria-label'), span.dataset.phone, span.dataset.other]).toEqual([
      '020-7654321',
      '+31 20 765 4321',
      '0207654321',
      '0201234567',
    ]);
    expect(handle.count).toBe(4);
  });

  test('never touches form fields, scripts, editable or ignored content', () => {
    const html =
      '<textarea>020 123 4567</textarea><input value="020 123 4567"><script>var n = "020 123 4567"</script>' +
      '<style>a::after{content:"020 123 4567"}</style><div contenteditable>020 123 4567</div>' +
      '<div data-callswap-ignore><p title="020 123 4567">020 <b>123 4567</b></p></div><p class="mine">020 123 4567</p>' +
      '<select><option>020 123 4567</option></select>';
    const root = page(html);
    const before = root.innerHTML;
    handle = swapNumbers(root, NL, { ignore: '.mine' });
    expect(root.innerHTML).toBe(before);
    expect(handle.count).toBe(0);
  });

  test('an ignored inline element keeps its number; the rest of its line is swapped', () => {
    const root = page('<p>Bel 020 123 4567, niet <span data-callswap-ignore>020 123 4567</span> of <b>020</b> 123 4567</p>');
    handle = swapNumbers(root, NL);
    expect(root.innerHTML).toBe('<p>Bel 020 765 4321, niet <span data-callswap-ignore="">020 123 4567</span> of <b>020</b> 765 4321</p>');
    expect(handle.count).toBe(2);
  });

  test('contenteditable="false" is swapped', () => {
    const root = page('<div contenteditable="false">020 123 4567</div>');
    handle = swapNumbers(root, NL);
    expect(root.textContent).toBe('020 765 4321');
  });

  test('restore() puts every original back, even after the page changed around it', () => {
    const root = page('<p id="a">Bel 020 123 4567</p><p id="b">Other</p><a href="tel:0201234567">x</a>');
    const before = root.innerHTML;
    handle = swapNumbers(root, NL);
    document.getElementById('b')!.textContent = 'Changed';
    handle.restore();
    expect(root.innerHTML).toBe(before.replace('Other', 'Changed'));
    expect(handle.count).toBe(0);
  });

  test('restore() leaves text the page itself replaced since', () => {
    const root = page('<p id="a">Bel 020 123 4567</p>');
    handle = swapNumbers(root, NL);
    root.querySelector('p')!.firstChild!.textContent = 'Closed today';
    handle.restore();
    expect(root.textContent).toBe('Closed today');
  });

  test('update() swaps to other tracking numbers from the originals', () => {
    const root = page('<p>020 123 4567</p><a href="tel:+31201234567">call</a>');
    handle = swapNumbers(root, NL);
    handle.update({ '+31201234567': '+31209999999' });
    expect(root.textContent).toBe('020 999 9999call');
    expect(root.querySelector('a')!.getAttribute('href')).toBe('tel:+31209999999');
    handle.update({});
    expect(root.textContent).toBe('020 123 4567call');
  });

  test('a number mapped to itself is found but neither counted nor written', () => {
    const root = page('<p>020 123 4567</p><a href="tel:0201234567">x</a>');
    const text = root.querySelector('p')!.firstChild as Text;
    handle = swapNumbers(root, { '+31201234567': '+31201234567' });
    expect(handle.found).toEqual(['+31201234567']);
    expect(handle.count).toBe(0);
    expect(text.data).toBe('020 123 4567');
  });

  test('a text attribute is counted against the text it was matched in (no href decoding)', () => {
    const root = page('<span title="Save 20%20today: 020 123 4567"></span>');
    handle = swapNumbers(root, { '+31201234567': '+31201234567' });
    expect(handle.found).toEqual(['+31201234567']);
    expect(handle.count).toBe(0);
  });

  test('a page that already shows the tracking number is left as it is', () => {
    const root = page('<p>020 765 4321</p>');
    handle = swapNumbers(root, NL);
    expect(handle.count).toBe(0);
  });

  test('open shadow roots are scanned and observed', async () => {
    const root = page('<div id="host"></div>');
    const shadow = document.getElementById('host')!.attachShadow({ mode: 'open' });
    shadow.innerHTML = '<p>Bel <b>020</b> 123 4567</p>';
    handle = swapNumbers(root, NL, { observe: true });
    expect(shadow.textContent).toBe('Bel 020 765 4321');
    shadow.innerHTML += '<p>Of 020-123 4567</p>';
    await frame();
    expect(shadow.textContent).toBe('Bel 020 765 4321Of 020-765 4321');
    const late = document.createElement('div');
    late.attachShadow({ mode: 'open' }).innerHTML = '<p>020 123 4567</p>';
    root.append(late);
    await frame();
    expect(late.shadowRoot!.textContent).toBe('020 765 4321');
  });

  describe('observe', () => {
    test('content added later is swapped, and our own writes cause no more work', async () => {
      const root = page('<main><p>020 123 4567</p></main>');
      handle = swapNumbers(root, NL, { observe: true });
      const main = root.querySelector('main')!;
      for (let i = 0; i < 50; i++) main.insertAdjacentHTML('beforeend', `<p class="late">Bel <span>020</span> 123 4567</p>`);
      await frame();
      expect([...main.querySelectorAll('.late')].every((p) => p.textContent == 'Bel 020 765 4321')).toBe(true);
      expect(handle.count).toBe(51);
      await frame();
      expect(handle.count).toBe(51);
    });

    test('onFound: a site number the page shows after the first pass is told, once; a listener that throws stays ours', async () => {
      const root = page('<p>Bel 020 123 4567</p>');
      const told: string[][] = [];
      const TWO = { ...NL, '+31 88 545 4000': '+31 88 555 0000' };
      handle = swapNumbers(root, TWO, { observe: true, onFound: () => told.push([...handle!.found]) });
      // The first pass is the caller's answer: found, not told.
      expect([handle.found, told]).toEqual([['+31201234567'], []]);
      root.insertAdjacentHTML('beforeend', '<p>Of 020 123 4567</p>');
      await frame();
      expect(told).toEqual([]);
      root.insertAdjacentHTML('beforeend', '<p>Service: 088 545 4000</p>');
      await frame();
      expect(told).toEqual([['+31201234567', '+31885454000']]);
      expect(handle.count).toBe(3);
      // An update's own pass is the caller's answer again: found anew, not told.
      handle.update(NL);
      expect(told).toHaveLength(1);
      handle.restore();
      const errors: unknown[] = [];
      const onError = (e: ErrorEvent) => errors.push(e.error);
      window.addEventListener('error', onError);
      page('<p></p>');
      handle = swapNumbers(document.body, NL, { observe: true, onFound: () => { throw new Error('listener'); } });
      document.body.insertAdjacentHTML('beforeend', '<p>020 123 4567</p>');
      await frame();
      window.removeEventListener('error', onError);
      expect([document.body.textContent, errors]).toEqual(['020 765 4321', []]);
    });

    test('a framework that re-renders the original number gets it swapped again', async () => {
      const root = page('<p id="n">020 123 4567</p>');
      handle = swapNumbers(root, NL, { observe: true });
      const text = root.querySelector('#n')!.firstChild as Text;
      text.data = '020 123 4567';
      await frame();
      expect(text.data).toBe('020 765 4321');
      root.querySelector('#n')!.textContent = 'Tel: 020 123 4567';
      await frame();
      expect(root.textContent).toBe('Tel: 020 765 4321');
    });

    test('a number completed by a later inline insertion is swapped', async () => {
      const root = page('<p id="n"><span>020</span></p>');
      handle = swapNumbers(root, NL, { observe: true });
      root.querySelector('#n')!.append(' 123 4567');
      await frame();
      expect(root.textContent).toBe('020 765 4321');
      expect(root.querySelector('span')!.textContent).toBe('020');
    });

    test('changed attributes are swapped; ignored subtrees stay ignored', async () => {
      const root = page('<a id="a" href="/">x</a><div data-callswap-ignore id="i"></div>');
      handle = swapNumbers(root, NL, { observe: true });
      root.querySelector('#a')!.setAttribute('href', 'tel:0201234567');
      root.querySelector('#i')!.innerHTML = '<p title="020 123 4567">020 123 4567</p>';
      await frame();
      expect(root.querySelector('#a')!.getAttribute('href')).toBe('tel:0207654321');
      expect(root.querySelector('#i')!.innerHTML).toBe('<p title="020 123 4567">020 123 4567</p>');
    });

    test('restore() stops observing', async () => {
      const root = page('<main></main>');
      handle = swapNumbers(root, NL, { observe: true });
      handle.restore();
      root.querySelector('main')!.innerHTML = '<p>020 123 4567</p>';
      await frame();
      expect(root.textContent).toBe('020 123 4567');
    });
  });

  describe('refuses bad input and changes nothing', () => {
    test.each([
      [{ '+31201234567': 'javascript:alert(1)' }, /javascript:alert\(1\)/],
      [{ '+31201234567': '<img src=x onerror=alert(1)>' }, /not a phone number/],
      [{ '+31201234567': '+31 20 123 4567 8901 2345 6789' }, /not a phone number/],
      [{ '+31201234567': 'call us' }, /call us/],
      [{ 'not a number': '+31201234567' }, /not a number/],
      [null, /replacements/],
    ])('%j', (replacements, message) => {
      const root = page('<p>020 123 4567</p>');
      expect(() => swapNumbers(root, replacements as never)).toThrow(message);
      expect(root.textContent).toBe('020 123 4567');
    });

    test('a bad root or ignore selector', () => {
      expect(() => swapNumbers(null as never, NL)).toThrow(/root/);
      expect(() => swapNumbers(page('<p>020 123 4567</p>'), NL, { ignore: '[[' })).toThrow(/ignore/);
      expect(document.body.textContent).toBe('020 123 4567');
    });

    test('a bad replacement in an update leaves the current swap as it is', () => {
      const root = page('<p>020 123 4567</p>');
      handle = swapNumbers(root, NL);
      expect(() => handle!.update({ '+31201234567': 'javascript:' })).toThrow();
      expect(root.textContent).toBe('020 765 4321');
    });
  });

  describe('a huge page is swapped in slices, the top first', () => {
    const huge = () => page('<main>' + '<p>Filiaal: <b>020</b> 123 4567</p><div><span>item</span> 42</div>'.repeat(4000) + '</main>');

    test.each([false, true])('the pass goes on in later tasks until every number is swapped; ready tells when (observe: %s)', async (observe) => {
      const root = huge();
      const started = performance.now();
      handle = swapNumbers(root, NL, { observe });
      const sync = performance.now() - started;
      const first = root.querySelector('p')!.textContent;
      // The pass paused: the bottom of the page is not swapped yet (happy-dom needs far more than one 30 ms slice).
      expect([...root.querySelectorAll('p')].at(-1)!.textContent).toBe('Filiaal: 020 123 4567');
      await handle.ready;
      expect(first).toBe('Filiaal: 020 765 4321');
      expect(handle.count).toBe(4000);
      expect([...root.querySelectorAll('p')].every((p) => p.textContent == 'Filiaal: 020 765 4321')).toBe(true);
      // How long a slice takes is measured in Chromium (test/bench/swap.mjs: longest task while swapping), not here:
      // with the rest of the suite running beside it, a happy-dom slice measured anywhere from 40 to 280 ms.
      void sync;
    });

    /** A page of `blocks` × 4 elements, and a clock that moves 31 ms at each reading: every slice is over SLICE. */
    const slow = (blocks: number) => {
      let now = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => (now += 31));
      return page('<main>' + '<p>Filiaal: <b>020</b> 123 4567</p><div><span>item</span></div>'.repeat(blocks) + '</main>');
    };
    const last = (root: Node) => [...(root as Element).querySelectorAll('p')].at(-1)!.textContent;

    test('a slice over its time goes on in the same task when the rest, at its pace, ends before 35 ms', () => {
      // 2,100 elements: 100 left after the first 2,000 took 31 ms, about 2 ms more.
      const root = slow(525);
      handle = swapNumbers(root, NL);
      expect(last(root)).toBe('Filiaal: 020 765 4321');
      expect(handle.count).toBe(525);
    });

    test('and yields when the rest would not end in time', async () => {
      const root = slow(1500);
      handle = swapNumbers(root, NL);
      expect(last(root)).toBe('Filiaal: 020 123 4567');
      vi.restoreAllMocks();
      await handle.ready;
      expect(last(root)).toBe('Filiaal: 020 765 4321');
    });

    test('it yields through scheduler.yield() where the browser has it, so the page\'s queued tasks do not come first', async () => {
      const yields = vi.fn(() => Promise.resolve());
      vi.stubGlobal('scheduler', { yield: yields });
      const timers = vi.spyOn(globalThis, 'setTimeout');
      const root = slow(1500);
      handle = swapNumbers(root, NL);
      vi.mocked(performance.now).mockRestore();
      await handle.ready;
      expect(yields).toHaveBeenCalled();
      expect(timers).not.toHaveBeenCalled();
      expect(last(root)).toBe('Filiaal: 020 765 4321');
      vi.unstubAllGlobals();
    });

    test('elsewhere through a MessageChannel message, which timers\' clamping and throttling do not delay', async () => {
      let channels = 0;
      const Channel = MessageChannel;
      vi.stubGlobal('MessageChannel', class extends Channel { constructor() { super(); channels++; } });
      const timers = vi.spyOn(globalThis, 'setTimeout');
      const root = slow(1500);
      handle = swapNumbers(root, NL);
      vi.mocked(performance.now).mockRestore();
      await handle.ready;
      expect(channels).toBeGreaterThan(0);
      expect(timers).not.toHaveBeenCalled();
      vi.unstubAllGlobals();
    });

    test('restore() during a paused pass stops it and puts back what it had swapped', async () => {
      const root = huge();
      const before = root.innerHTML;
      handle = swapNumbers(root, NL);
      handle.restore();
      await handle.ready;
      await new Promise((r) => setTimeout(r, 50));
      expect(root.innerHTML).toBe(before);
    });

    test('update() during a paused pass starts over with the new numbers', async () => {
      const root = huge();
      handle = swapNumbers(root, NL);
      handle.update({ '+31201234567': '+31209999999' });
      await handle.ready;
      await new Promise((r) => setTimeout(r, 200));
      expect([...root.querySelectorAll('p')].every((p) => p.textContent == 'Filiaal: 020 999 9999')).toBe(true);
    });
  });

  test('after restore() the engine keeps no page nodes', () => {
    const root = page('<p>020 123 4567</p>');
    handle = swapNumbers(root, NL, { observe: true });
    handle.restore();
    expect(handle.found).toEqual([]);
    expect(handle.count).toBe(0);
  });
});
