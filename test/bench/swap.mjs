// Swap engine in real Chromium (the built script tag): a 10,000-element page with 100 occurrences of the site's
// number in several formats. Prints medians of several repetitions measured in one run.
import { fileURLToPath } from 'node:url';
import { launch, median } from './browser.mjs';

const SCRIPT = fileURLToPath(new URL('../../dist/callswap.min.js', import.meta.url));
const FORMATS = ['020 123 4567', '+31 (0)20-123 45 67', '0031201234567', '<span>020</span> 123 4567', '020-1234567'];

/**
 * A page of 2,000 cards × 5 elements = 10,000 elements, every 20th card with a number: 100 occurrences. Dense: every
 * card also has digits (price, date, order number), the worst case for a pass that looks closer at text with digits.
 */
export const bigPage = (dense = true) => {
  let html = '<main>';
  for (let i = 0; i < 2000; i++) {
    const number = i % 20 == 0 ? FORMATS[(i / 20) % FORMATS.length] : dense ? `order ${100000 + i}` : 'us';
    const text = dense ? `Product ${i}</h3><p>Price € ${i},95 — in stock since 2024-0${(i % 9) + 1}-1${i % 10}` : `Product</h3><p>In stock, ships tomorrow`;
    html += `<div class="card"><h3>${text}</p><span>Call ${number}</span>
<a href="/p/${i}">details</a></div>
`;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>Bench</title></head><body>${html}</main></body></html>`;
};

/** Initial passes on the sparse page (few digits besides the numbers): the ratio to a bare text walk. */
async function sparseRatio(browser) {
  const page = await browser.newPage();
  await page.setContent(bigPage(false));
  await page.addScriptTag({ path: SCRIPT });
  const [bare, swap] = await page.evaluate(async (reps) => {
    const bare = [];
    const swap = [];
    // Three warm-up passes of each first (not measured): medians of warm passes, less noise.
    for (let i = -3; i < reps; i++) {
      await new Promise((r) => setTimeout(r, 0));
      let t = performance.now();
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      let length = 0;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) length += n.data.length;
      if (i >= 0) bare.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 0));
      t = performance.now();
      const handle = callswap.swapNumbers(document.body, { '+31 20 123 4567': '+31 20 765 4321' }, { observe: true });
      await handle.ready;
      if (i >= 0) swap.push(performance.now() - t);
      if (handle.count != 100 || !length) throw new Error(`swapped ${handle.count} of 100`);
      handle.restore();
    }
    return [bare, swap];
  }, 9);
  await page.close();
  return median(swap) / median(bare);
}

export async function benchSwap() {
  const browser = await launch();
  const sparse = await sparseRatio(browser);
  const page = await browser.newPage();
  await page.setContent(bigPage());
  await page.addScriptTag({ path: SCRIPT });
  const result = await page.evaluate(async (reps) => {
    const elements = document.body.querySelectorAll('*').length;
    // Long tasks while callswap swaps (the memory loop below is one long task of its own, by design).
    const longTasks = [];
    const longTaskObserver = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
    longTaskObserver.observe({ type: 'longtask' });
    let shift = 0;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => (shift += e.value))).observe({ type: 'layout-shift' });
    const replacements = { '+31 20 123 4567': '+31 20 765 4321' };
    const bare = [];
    const swap = [];
    const firstSlice = [];
    let count = 0;
    // Three warm-up passes of each first (not measured): medians of warm passes, less noise.
    for (let i = -3; i < reps; i++) {
      await new Promise((r) => setTimeout(r, 0));
      let t = performance.now();
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      let length = 0;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) length += n.data.length;
      if (i >= 0) bare.push(performance.now() - t);
      // A task of its own, as on a page: the long-task figure then measures only callswap's work.
      await new Promise((r) => setTimeout(r, 0));
      t = performance.now();
      const handle = callswap.swapNumbers(document.body, replacements, { observe: true });
      if (i >= 0) firstSlice.push(performance.now() - t);
      await handle.ready;
      if (i >= 0) swap.push(performance.now() - t);
      count = handle.count;
      // Every repetition must swap them all: a pass that ends early would look fast.
      if (count != 100) throw new Error(`swapped ${count} of 100`);
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      handle.restore();
      if (!length) throw new Error('no text');
    }
    await new Promise((r) => setTimeout(r, 100));
    longTaskObserver.disconnect();
    // Dynamic: 1,000 appended nodes each with a number, swapped before the next frame.
    const handle = callswap.swapNumbers(document.body, replacements, { observe: true });
    const list = document.createElement('div');
    document.body.append(list);
    const t = performance.now();
    const dynamic = await new Promise((resolve) =>
      requestAnimationFrame(() => {
        for (let i = 0; i < 1000; i++) {
          const p = document.createElement('p');
          p.innerHTML = `Branch ${i}: <a href="tel:0201234567"><span>020</span> 123 4567</a>`;
          list.append(p);
        }
        requestAnimationFrame(() =>
          resolve({ swapped: [...list.querySelectorAll('a')].filter((a) => a.textContent == '020 765 4321').length, ms: performance.now() - t }),
        );
      }),
    );
    handle.restore();
    list.remove();
    // Memory: 1,000 swap/restore cycles on fresh nodes that the page then removes.
    const heap = () => (gc(), performance.memory.usedJSHeapSize);
    const cycle = () => {
      const box = document.createElement('section');
      box.innerHTML = '<p>Bel <b>020</b> 123 4567</p><a href="tel:+31201234567" title="020 123 4567">x</a>';
      document.body.append(box);
      const h = callswap.swapNumbers(box, replacements, { observe: true });
      h.restore();
      box.remove();
    };
    for (let i = 0; i < 100; i++) cycle();
    const before = heap();
    for (let i = 0; i < 1000; i++) cycle();
    const after = heap();
    return { elements, count, bare, swap, firstSlice, longTasks, shift, dynamic, heapGrowth: after - before };
  }, 9);
  await browser.close();
  const bare = median(result.bare);
  const swap = median(result.swap);
  return [
    { name: `page: elements / occurrences swapped`, value: `${result.elements} / ${result.count}` },
    { name: 'bare TreeWalker text pass (median of 9)', value: `${bare.toFixed(2)} ms` },
    { name: 'callswap initial pass, until ready (median of 9)', value: `${swap.toFixed(2)} ms` },
    { name: 'of which synchronous (the first slice)', value: `${median(result.firstSlice).toFixed(2)} ms`, goal: '≤ 30 ms slices' },
    { name: 'ratio callswap / bare TreeWalker', value: `${(swap / bare).toFixed(2)}×`, goal: '≤ 1.5×' },
    { name: 'ratio on the same page with few digits besides the numbers', value: `${sparse.toFixed(2)}×`, goal: '≤ 1.5×' },
    { name: 'longest task while swapping', value: `${Math.max(0, ...result.longTasks).toFixed(0)} ms`, goal: 'none > 50 ms' },
    { name: 'layout shift (same-length numbers)', value: result.shift.toFixed(4), goal: '0' },
    { name: '1,000 appended nodes swapped before the next frame', value: `${result.dynamic.swapped} / 1000`, goal: '1000 / 1000' },
    { name: 'JS heap growth over 1,000 swap/restore cycles', value: `${(result.heapGrowth / 1024).toFixed(0)} KiB`, goal: '≈ 0' },
  ];
}

if (import.meta.url == `file://${process.argv[1]}`) {
  console.log('| swap engine (Chromium) | measured | goal |\n| --- | ---: | ---: |');
  for (const r of await benchSwap()) console.log(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);
}
