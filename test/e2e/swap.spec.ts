import { expect, test } from '@playwright/test';

// The built ESM engine (dist/swap.js) on the same fixture pages the happy-dom tests use.
for (const fixture of ['nl-business.html', 'international.html']) {
  test(`dist/swap.js swaps ${fixture} exactly as expected, and restores it`, async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`/test/fixtures/${fixture}`);
    const result = await page.evaluate(async () => {
      const { swapNumbers } = await import('/dist/swap.js' as string);
      const { fixtureConfig, mismatches } = await import('/test/fixtures/expectations.js' as string);
      const { replacements, options } = fixtureConfig(document);
      const before = document.documentElement.outerHTML;
      const handle = swapNumbers(document.documentElement, replacements, options);
      const failed = mismatches(document);
      const count = handle.count;
      handle.restore();
      return { failed, count, restored: document.documentElement.outerHTML == before };
    });
    expect(result.failed).toEqual([]);
    expect(result.count).toBeGreaterThan(5);
    expect(result.restored).toBe(true);
    expect(errors).toEqual([]);
  });
}

test('1,000 appended nodes with a number are all swapped before the next frame', async ({ page }) => {
  await page.goto('/test/fixtures/nl-business.html');
  const result = await page.evaluate(async () => {
    const { swapNumbers } = await import('/dist/swap.js' as string);
    const main = document.querySelector('main')!;
    const handle = swapNumbers(document.body, { '+31 20 123 4567': '+31 20 765 4321' }, { observe: true });
    const start = handle.count;
    return new Promise<{ swapped: number; left: number; count: number }>((resolve) => {
      requestAnimationFrame(() => {
        const list = document.createElement('ul');
        main.append(list);
        for (let i = 0; i < 1000; i++) {
          const li = document.createElement('li');
          li.innerHTML = `Vestiging ${i}: <a href="tel:0201234567"><span>020</span> 123 4567</a>`;
          list.append(li);
        }
        // Mutation observers run before the next frame is rendered.
        requestAnimationFrame(() => {
          const texts = [...list.querySelectorAll('a')].map((a) => a.textContent);
          resolve({
            swapped: texts.filter((t) => t == '020 765 4321').length,
            left: texts.filter((t) => t == '020 123 4567').length,
            count: handle.count - start,
          });
        });
      });
    });
  });
  expect(result).toEqual({ swapped: 1000, left: 0, count: 2000 });
});

test('swapping a same-length number shifts no layout', async ({ page, browserName }) => {
  await page.goto('/test/fixtures/nl-business.html');
  const { shift, supported, moved, swapped } = await page.evaluate(async () => {
    let total = 0;
    const supported = PerformanceObserver.supportedEntryTypes.includes('layout-shift');
    if (supported) {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as (PerformanceEntry & { value: number })[]) total += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });
    }
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    // Every element's box, before and after: what layout-shift measures, read directly (and where it is missing).
    const boxes = () => [...document.body.querySelectorAll('*')].map((e) => JSON.stringify(e.getBoundingClientRect()));
    const before = total;
    const was = boxes();
    const { swapNumbers } = await import('/dist/swap.js' as string);
    const handle = swapNumbers(document.documentElement, { '+31 20 123 4567': '+31 20 765 4321' });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const now = boxes();
    return { shift: total - before, supported, moved: now.filter((box, i) => box != was[i]).length, swapped: handle.count };
  });
  expect(swapped).toBeGreaterThan(0);
  expect(moved).toBe(0);
  expect(shift).toBe(0);
  // Firefox reports no layout-shift entries (the README names it): the boxes above are the check there.
  expect(supported).toBe(browserName == 'chromium');
});

test('open shadow roots are swapped', async ({ page }) => {
  await page.goto('/test/fixtures/international.html');
  const text = await page.evaluate(async () => {
    const { swapNumbers } = await import('/dist/swap.js' as string);
    class CallButton extends HTMLElement {
      constructor() {
        super();
        this.attachShadow({ mode: 'open' }).innerHTML = '<a href="tel:+15555550123">Call <b>(555)</b> 555-0123</a>';
      }
    }
    customElements.define('call-button', CallButton);
    const host = document.createElement('call-button');
    document.getElementById('shadow-host-wrap')!.append(host);
    swapNumbers(document.body, { '+1 555 555 0123': '+1 555 555 0199' }, { observe: true });
    const late = document.createElement('call-button');
    document.getElementById('shadow-host-wrap')!.append(late);
    await new Promise((r) => setTimeout(r, 0));
    const a = host.shadowRoot!.querySelector('a')!;
    return [a.textContent, a.getAttribute('href'), late.shadowRoot!.textContent];
  });
  expect(text).toEqual(['Call (555) 555-0199', 'tel:+15555550199', 'Call (555) 555-0199']);
});

test('the built script tag (dist/callswap.min.js) swaps every snippet of the real-world corpus, and restores it exactly', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => errors.push(m.text()));
  await page.route('**/corpus.html', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><main></main><script src="/dist/callswap.min.js"></script>' }),
  );
  await page.goto('/corpus.html');
  const results = await page.evaluate(async () => {
    const { CORPUS, trackingFor } = await import('/test/fixtures/corpus.js' as string);
    const main = document.querySelector('main')!;
    const { swapNumbers } = (window as unknown as { callswap: { swapNumbers: typeof import('../../src/swap/swapNumbers').swapNumbers } }).callswap;
    return (CORPUS as { id: string; country: string; html: string; swaps: number }[]).map(({ id, country, html, swaps }) => {
      main.innerHTML = html;
      const before = main.innerHTML;
      const handle = swapNumbers(main, trackingFor({ numbers: CORPUS.find((s: { id: string }) => s.id == id).numbers }), { country });
      const count = handle.count;
      handle.restore();
      return { id, count, expected: swaps, restored: main.innerHTML == before };
    });
  });
  expect(results.length).toBeGreaterThanOrEqual(120);
  expect(results.filter((r) => r.count != r.expected || !r.restored)).toEqual([]);
  expect(errors).toEqual([]);
});
