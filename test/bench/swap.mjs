// Swap engine in real Chromium (the built script tag): a 10,000-element page with 100 occurrences of the site's
// number in several formats, and a digit-dense one (an order table) with 100 in the forms a person reads in notes
// and pairs; callswap against findAndReplaceDOMText on both. Prints medians of several repetitions measured in one
// run. CALLSWAP_SCRIPT measures another build of the script tag (an older commit's, to compare).
import { fileURLToPath } from 'node:url';
import { launch, median } from './browser.mjs';

const SCRIPT = process.env.CALLSWAP_SCRIPT || fileURLToPath(new URL('../../dist/callswap.min.js', import.meta.url));
const FIND_AND_REPLACE = fileURLToPath(new URL('../../node_modules/findandreplacedomtext/src/findAndReplaceDOMText.js', import.meta.url));
const FORMATS = ['020 123 4567', '+31 (0)20-123 45 67', '0031201234567', '<span>020</span> 123 4567', '020-1234567'];

/**
 * A page of 2,000 cards × 5 elements = 10,000 elements, every 20th card with a number: 100 occurrences. Dense: every
 * card also has digits (price, date, order number), the worst case for a pass that looks closer at text with digits.
 * `cards` makes it larger (10,000 cards: 50,000 elements, 500 numbers).
 */
export const bigPage = (dense = true, cards = 2000) => {
  let html = '<main>';
  for (let i = 0; i < cards; i++) {
    const number = i % 20 == 0 ? FORMATS[(i / 20) % FORMATS.length] : dense ? `order ${100000 + i}` : 'us';
    const text = dense ? `Product ${i}</h3><p>Price € ${i},95 — in stock since 2024-0${(i % 9) + 1}-1${i % 10}` : `Product</h3><p>In stock, ships tomorrow`;
    html += `<div class="card"><h3>${text}</p><span>Call ${number}</span>
<a href="/p/${i}">details</a></div>
`;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>Bench</title></head><body>${html}</main></body></html>`;
};

/** The site number in the forms of the digit-dense page: with notes, beside another number, after a house number. */
const DENSE_FORMATS = [
  '020 123 4567 (24/7)',
  'Tel: 020 123 4567 / 06 12345678',
  'Kerkstraat 12 - 020 123 4567',
  '0031 (0)20 1234567',
  '020·123·4567',
  '+31 (0)20-123 45 67',
  '<b>020</b> 123 4567 (ma–vr 09.00 - 17.00)',
  '020-1234567 · fax 020-1234568',
  '0031201234567',
  '020 123 45 67',
];

/**
 * A digit-dense page: an order table of 2,000 rows × 5 elements, where every cell holds digits (article numbers,
 * EAN codes, prices, dates with times, order numbers, some long enough to look like a phone number to a quick
 * test), every 20th row with the site number in a form of DENSE_FORMATS: 100 occurrences.
 */
export const digitPage = () => {
  let html = '<main><table>';
  for (let i = 0; i < 2000; i++) {
    const note = i % 20 == 0 ? DENSE_FORMATS[(i / 20) % DENSE_FORMATS.length] : `Order 9020${String(1000000 + i * 37).slice(1)} · EAN 871234567${String(1000 + i).slice(1)}`;
    html += `<tr><td>Art. ${10000 + i}-${i % 7}</td><td>€ ${1 + (i % 90)}.${100 + (i % 900)},95</td><td>${(i % 28) + 1}-${(i % 12) + 1}-2026 ${10 + (i % 12)}:${10 + (i % 50)}</td><td>${note}</td></tr>
`;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>Bench</title></head><body>${html}</table></main></body></html>`;
};

/** For findAndReplaceDOMText: an equivalent regex for the forms on each page, matched across elements as it does. */
export const FINDS = {
  big: '(?:\\+31 \\(0\\)|0031|0)20[ -]?123 ?45 ?67',
  dense: '(?:\\+31 \\(0\\)|0031 \\(0\\)|0031|0)20[ ·-]?123[ ·]?45 ?67',
};

/**
 * callswap's whole pass until `ready`, the floor and findAndReplaceDOMText, on one page, each in a task of its own,
 * three warm-ups first, then medians of 15, the order of the three turning every round (whichever runs first after a
 * restore or a revert pays for the caches it empties). Both must replace all `expected` numbers: a pass that ended
 * early would look fast. Long tasks that hold one of the page's own tasks (`window.pageTasks_`, [start, end]) are
 * the page's, not callswap's.
 */
export async function versus([find, expected = 100]) {
  const times = { floor: [], ours: [], theirs: [] };
  // Long tasks while callswap's measured passes ran (not the warm-ups', not findAndReplaceDOMText's).
  const tasks = [];
  const windows = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e)));
  observer.observe({ type: 'longtask' });
  const passes = {
    floor() {
      const all = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
      let hosts = 0;
      for (let n = all.nextNode(); n; n = all.nextNode()) n.nodeType == 3 ? n.data.length : n.shadowRoot && hosts++;
      hosts += document.body.querySelectorAll('[aria-label],[title],[alt],[href*="tel:" i],[href*="sms:" i],[href*="callto:" i]').length;
      return () => {};
    },
    async ours() {
      const handle = callswap.swapNumbers(document.body, { '+31 20 123 4567': '+31 20 765 4321' });
      await handle.ready;
      if (handle.count != expected) throw new Error(`callswap swapped ${handle.count} of ${expected}`);
      return () => handle.restore();
    },
    theirs() {
      let replaced = 0;
      const finder = findAndReplaceDOMText(document.body, { find: RegExp(find, 'g'), replace: (portion) => (portion.index == 0 && replaced++, portion.text) });
      if (replaced != expected) throw new Error(`findAndReplaceDOMText replaced ${replaced} of ${expected}`);
      return () => finder.revert();
    },
  };
  const names = Object.keys(passes);
  for (let i = -3; i < 15; i++) {
    for (let k = 0; k < 3; k++) {
      const name = names[(k + i + 3) % 3];
      await new Promise((r) => setTimeout(r, 0));
      const t = performance.now();
      const undo = await passes[name]();
      const end = performance.now();
      if (i >= 0) times[name].push(end - t);
      if (i >= 0 && name == 'ours') windows.push([t, end]);
      undo();
    }
  }
  await new Promise((r) => setTimeout(r, 100));
  observer.disconnect();
  const theirs = window.pageTasks_ || [];
  const longTasks = tasks
    .filter((e) => windows.some(([from, to]) => e.startTime + e.duration > from && e.startTime < to))
    .filter((e) => !theirs.some(([from, to]) => from >= e.startTime - 1 && to <= e.startTime + e.duration + 1))
    .map((e) => e.duration);
  return { ...times, longTasks };
}

/**
 * In the page: a bare text walk, the floor of the contract and a callswap pass, each in a task of its own (as on a
 * page, so the long-task figure measures only callswap's work), three warm-ups first and then `reps` measured. Every
 * pass must swap all 100 numbers: a pass that ended early would look fast.
 *
 * The floor is the least any engine must do beyond reading the texts, without finding or writing a single number:
 * visit every element once, since the DOM offers no query for open shadow roots, and query the attributes the
 * contract swaps (the selector callswap uses). Checking those attributes during the element walk instead measured
 * slower than the native query.
 */
async function passes(reps) {
  // Long tasks while callswap's measured passes ran (not the warm-ups', not the walks').
  const tasks = [];
  const windows = [];
  const cold = [];
  const longTaskObserver = new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e)));
  longTaskObserver.observe({ type: 'longtask' });
  let shift = 0;
  new PerformanceObserver((list) => list.getEntries().forEach((e) => (shift += e.value))).observe({ type: 'layout-shift' });
  const bare = [];
  const floor = [];
  const swap = [];
  const firstSlice = [];
  for (let i = -3; i < reps; i++) {
    await new Promise((r) => setTimeout(r, 0));
    let t = performance.now();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let length = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) length += n.data.length;
    if (i >= 0) bare.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 0));
    t = performance.now();
    const all = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    let hosts = 0;
    for (let n = all.nextNode(); n; n = all.nextNode()) n.nodeType == 3 ? (length += n.data.length) : n.shadowRoot && hosts++;
    hosts += document.body.querySelectorAll('[aria-label],[title],[alt],[href*="tel:" i],[href*="sms:" i],[href*="callto:" i]').length;
    if (i >= 0) floor.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 0));
    t = performance.now();
    const handle = callswap.swapNumbers(document.body, { '+31 20 123 4567': '+31 20 765 4321' }, { observe: true });
    if (i >= 0) firstSlice.push(performance.now() - t);
    await handle.ready;
    if (i >= 0) swap.push(performance.now() - t);
    if (i >= 0) windows.push([t, performance.now()]);
    // The first pass in the page, as a visitor's page runs it: nothing compiled yet.
    else if (i == -3) cold.push([t, performance.now()]);
    if (handle.count != 100 || !length) throw new Error(`swapped ${handle.count} of 100`);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    handle.restore();
  }
  await new Promise((r) => setTimeout(r, 100));
  longTaskObserver.disconnect();
  const during = (list) => tasks.filter((e) => list.some(([from, to]) => e.startTime + e.duration > from && e.startTime < to)).map((e) => e.duration);
  return { bare, floor, swap, firstSlice, longTasks: during(windows), cold: cold[0][1] - cold[0][0], coldTasks: during(cold), shift };
}

/** callswap, the floor and findAndReplaceDOMText on both pages, in one browser run. */
async function versusFindAndReplace(browser) {
  const rows = [];
  for (const [name, html, find] of [
    ['10,000 elements', bigPage(), FINDS.big],
    ['digit-dense 10,000 elements', digitPage(), FINDS.dense],
  ]) {
    const page = await browser.newPage();
    await page.setContent(html);
    await page.addScriptTag({ path: SCRIPT });
    await page.addScriptTag({ path: FIND_AND_REPLACE });
    const r = await page.evaluate(versus, [find]);
    await page.close();
    const [ours, theirs, floor] = [median(r.ours), median(r.theirs), median(r.floor)];
    rows.push(
      { name: `${name}, 100 numbers: callswap until ready / floor / findAndReplaceDOMText (medians of 15)`, value: `${ours.toFixed(1)} / ${floor.toFixed(1)} / ${theirs.toFixed(1)} ms` },
      { name: `${name}: ratio callswap / findAndReplaceDOMText`, value: `${(ours / theirs).toFixed(2)}×`, goal: '≤ 1.0×' },
      { name: `${name}: longest task`, value: `${Math.max(0, ...r.longTasks).toFixed(0)} ms`, goal: 'none > 50 ms' },
    );
  }
  return rows;
}

export async function benchSwap() {
  const browser = await launch();
  const against = await versusFindAndReplace(browser);
  const sparsePage = await browser.newPage();
  await sparsePage.setContent(bigPage(false));
  await sparsePage.addScriptTag({ path: SCRIPT });
  const sparse = await sparsePage.evaluate(passes, 9);
  await sparsePage.close();
  const page = await browser.newPage();
  await page.setContent(bigPage());
  await page.addScriptTag({ path: SCRIPT });
  const measured = await page.evaluate(passes, 9);
  const result = await page.evaluate(async () => {
    const elements = document.body.querySelectorAll('*').length;
    const replacements = { '+31 20 123 4567': '+31 20 765 4321' };
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
    return { elements, dynamic, heapGrowth: after - before };
  });
  await browser.close();
  const bare = median(measured.bare);
  const swap = median(measured.swap);
  return [
    { name: `page: elements / occurrences swapped in every pass`, value: `${result.elements} / 100` },
    { name: 'bare TreeWalker text pass (median of 9)', value: `${bare.toFixed(2)} ms` },
    { name: 'callswap initial pass, until ready (median of 9)', value: `${swap.toFixed(2)} ms` },
    { name: 'of which synchronous (the first slice)', value: `${median(measured.firstSlice).toFixed(2)} ms`, goal: '≤ 30 ms slices' },
    { name: 'ratio callswap / bare TreeWalker', value: `${(swap / bare).toFixed(2)}×`, goal: '≤ 1.5×' },
    { name: 'ratio on the same page with few digits besides the numbers', value: `${(median(sparse.swap) / median(sparse.bare)).toFixed(2)}×`, goal: '≤ 1.5×' },
    { name: 'floor: element walk (open shadow roots) + attribute query, / bare', value: `${(median(measured.floor) / bare).toFixed(2)}×` },
    { name: 'floor on the page with few digits', value: `${(median(sparse.floor) / median(sparse.bare)).toFixed(2)}×` },
    { name: 'longest task while swapping', value: `${Math.max(0, ...measured.longTasks).toFixed(0)} ms`, goal: 'none > 50 ms' },
    { name: 'the first pass in the page (nothing compiled yet), until ready / its longest task', value: `${measured.cold.toFixed(1)} ms / ${Math.max(0, ...measured.coldTasks).toFixed(0)} ms`, goal: 'none > 50 ms' },
    { name: 'layout shift (same-length numbers)', value: measured.shift.toFixed(4), goal: '0' },
    { name: '1,000 appended nodes swapped before the next frame', value: `${result.dynamic.swapped} / 1000`, goal: '1000 / 1000' },
    { name: 'JS heap growth over 1,000 swap/restore cycles', value: `${(result.heapGrowth / 1024).toFixed(0)} KiB`, goal: '≈ 0' },
    ...against,
  ];
}

if (import.meta.url == `file://${process.argv[1]}`) {
  console.log('| swap engine (Chromium) | measured | goal |\n| --- | ---: | ---: |');
  for (const r of await benchSwap()) console.log(`| ${r.name} | ${r.value} | ${r.goal ?? ''} |`);
}
