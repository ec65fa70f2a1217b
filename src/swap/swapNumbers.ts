import { invalid } from '../lib/invalid.js';
import { later } from '../lib/later.js';
import { createMatcher, type Match, type Matcher } from './phone.js';

export interface SwapOptions {
  /** Keep swapping content that is added or changed later (MutationObserver). Default false. */
  observe?: boolean;
  /** A CSS selector for more elements to leave alone, besides `[data-callswap-ignore]` and form fields. */
  ignore?: string;
  /** ISO 3166-1 alpha-2 country of numbers written nationally (`"020 123 4567"` needs `"NL"`). */
  country?: string;
  /** More attributes that hold numbers as text, e.g. `["data-phone"]`. `aria-label`, `title`, `alt` always do. */
  attributes?: string[];
  /**
   * Called when the page shows a site number the swap had not found yet, after `swapNumbers` or `update` returned:
   * content added later, or parsed after the script ran, or a huge page's later slice. `found` and `count` tell.
   */
  onFound?: () => void;
}

/** A running swap. */
export interface SwapHandle {
  /** Occurrences replaced (text and attributes together) since the start or the last `update`. */
  readonly count: number;
  /** The site numbers (E.164) found on the page, in the order first found. */
  readonly found: string[];
  /**
   * Resolves when the pass has swapped the whole root. On most pages that is before `swapNumbers` returns; on a
   * huge page the pass goes on in 30 ms slices so the page never has a long task, the top of the page first.
   */
  readonly ready: Promise<void>;
  /** Swaps to other tracking numbers: puts the originals back, then swaps with `replacements`. */
  update(replacements: Record<string, string>): void;
  /** Puts every original string back exactly as it was and stops observing. */
  restore(): void;
}

/** Milliseconds of work before a pass yields to the page, */
const SLICE = 30;
/**
 * unless, at the pace of this slice, the rest of the pass ends within this many ms: the attributes, swapped at the
 * end, take a few more, and no task of ours reaches 50 ms, a long task.
 */
const FINISH = 35;
/** Elements a pass reads between two looks at the clock: a few ms, under load too. */
const STRETCH = 2000;

/** Elements that continue a line of text: a number split over them is still one number. */
const INLINE = new Set('a abbr b bdi em font i label mark nobr small span strong sub sup time u wbr'.split(' '));
const IGNORE = 'script,style,noscript,template,textarea,input,select,option,head,[contenteditable]:not([contenteditable=false]),[data-callswap-ignore]';
/**
 * A tel:, sms: or callto: link: [, its scheme with whitespace before it (as browsers allow) and `//` after, its
 * number or numbers up to parameters (`;ext=…`) or a query (`?body=…`)]. Shared by the swap and the click listener,
 * so a tap is seen on every link that is swapped.
 */
export const PHONE_LINK = /^(\s*(?:tel|sms|callto):(?:\/\/)?)([^;?]*)/i;

/**
 * Replaces the site's phone numbers under `root` with tracking numbers: in text (also when a number is split over
 * inline elements), in `tel:`/`sms:`/`callto:` hrefs and in text attributes, each in its own format. Writes only
 * `Text.data` and `setAttribute` with validated numbers, never HTML. Throws a TypeError naming a key or value that
 * is not a phone number (the script-tag build warns instead), and then changes nothing.
 */
export function swapNumbers(root: Node, replacements: Record<string, string>, options: SwapOptions = {}): SwapHandle {
  const { country, observe } = options;
  const ignore = IGNORE + (options.ignore ? ',' + options.ignore : '');
  const attributes = ['aria-label', 'title', 'alt', 'href'].concat(options.attributes || []);
  // Only links that dial: the selector filters natively, so a page of ordinary links costs nothing. (`*=`: a browser
  // dials `href=" tel:…"` too, and the scheme is checked below.)
  const selector = attributes.map((name) => (name == 'href' ? '[href*="tel:" i],[href*="sms:" i],[href*="callto:" i]' : `[${name}]`)).join();
  /** Node → attribute name ('' for text) → [original, what we wrote]. */
  const records = new Map<Node, Record<string, [string, string]>>();
  const found = new Set<string>();
  let count = 0;
  /** The texts that the pass has read since it last swapped, and their nodes. */
  let texts: string[] = [];
  let nodes: Text[] = [];
  let observer: MutationObserver | undefined;
  let matcher: Matcher | undefined;
  /**
   * Subtrees left to swap, each with its walker when a pass paused in it. Only the pass over the whole root may
   * pause (`sliced`): content the page adds is swapped to the end at once, so it is never painted unswapped.
   */
  let jobs: [node: Node, paused?: TreeWalker, sliced?: boolean][] = [];
  /** Counts the pass's turns: a continuation runs only if no other turn came first (a restore, an update). */
  let turn = 0;
  /** The sliced pass: elements under its root (counted at its first pause), and elements it has read so far. */
  let total = 0;
  let walked = 0;
  /** Whether a site number was found for the first time since the caller last heard (onFound). */
  let fresh = false;
  let finished: () => void;
  const ready = new Promise<void>((resolve) => (finished = resolve));
  try {
    (root.ownerDocument || (root as Document)).createElement('a').matches(ignore + ',' + selector);
  } catch {
    root = invalid(`root must be a DOM node, ignore a CSS selector and attributes names`) as never;
  }

  const write = (node: Node, name: string, value: string): void => {
    const old = name ? (node as Element).getAttribute(name)! : (node as Text).data;
    const record = records.get(node) || {};
    // When the page rewrote what we wrote, what it wrote is the original to restore.
    if (record[name]?.[1] != old) record[name] = [old, value];
    record[name][1] = value;
    records.set(node, record);
    if (name) (node as Element).setAttribute(name, value);
    else (node as Text).data = value;
  };

  /** Records what was found; a number kept as it is (its replacement is itself) is found but not counted. */
  const counted = (matches: Match[], text: string): void => {
    for (const [start, end, replacement, key] of matches) {
      fresh ||= !found.has(key);
      found.add(key);
      if (text.slice(start, end) != replacement) count++;
    }
  };

  const swapAttribute = (element: Element, name: string): void => {
    const value = element.getAttribute(name) || '';
    // tel:, sms: and callto: links, with whitespace around as browsers allow, and an sms: link's every recipient
    // (`sms:+31…,+31…`). Their numbers may be percent-encoded (tel:%2B31…): the encoding is kept.
    // eslint-disable-next-line no-sparse-arrays -- the hole stands for the match, as in exec()'s answer
    const [, scheme = '', number = ''] = name != 'href' ? [, '', value] : PHONE_LINK.exec(value) || [];
    const text = scheme ? number.replace(/%2b/gi, '+').replace(/%20/g, ' ') : number;
    const result = text && matcher!.replace(text);
    if (result && !element.closest(ignore)) {
      let out = result[0];
      if (/%2b/i.test(number)) out = out.replace(/\+/g, '%2B');
      if (number.includes('%20')) out = out.replace(/ /g, '%20');
      const next = scheme + out + value.slice(scheme.length + number.length);
      if (next != value) write(element, name, next);
      counted(result[1], text);
    }
  };

  /** Swaps the numbers in a line: text nodes that read as one text over inline elements. */
  const swapLine = (line: Text[]): void => {
    const data = line.map((node) => node.data);
    const joined = data.join('');
    let length = 0;
    const matches = matcher!.find(joined, data.map((text) => (length += text.length)));
    const out = data.slice();
    // The last match first, so the offsets of earlier matches in the same node stay valid.
    for (const [start, end, replacement] of matches.slice().reverse()) {
      const same = replacement.length == end - start;
      let at = 0;
      data.forEach((text, i) => {
        const from = Math.max(start - at, 0);
        const to = Math.min(end - at, text.length);
        // With as many characters each node keeps its own positions; otherwise the first node takes the number.
        if (from < to) out[i] = out[i]!.slice(0, from) + (same ? replacement.slice(at + from - start, at + to - start) : at > start ? '' : replacement) + out[i]!.slice(to);
        at += text.length;
      });
    }
    line.forEach((node, i) => out[i] != data[i] && write(node, '', out[i]!));
    counted(matches, joined);
  };

  /**
   * Swaps the lines of a block's own text, unless it is ignored. An element that is not inline, or is ignored,
   * ends a line; the lines of one that is not inline are its own.
   */
  const swapBlock = (block: Node): void => {
    let line: Text[] = [];
    const visit = (parent: Node): void => {
      for (let child = parent.firstChild; child; child = child.nextSibling) {
        if (child.nodeType == 3) line.push(child as Text);
        else if (INLINE.has((child as Element).localName) && !(child as Element).matches(ignore)) visit(child);
        else if (child.nodeType == 1) {
          swapLine(line);
          line = [];
        }
      }
    };
    if (!(block as Element).closest?.(ignore)) visit(block);
    swapLine(line);
  };

  /** The nearest ancestor of `node` that is not inline, or `root`. */
  const blockOf = (node: Node): Node => {
    let block = node.parentNode!;
    while (block != root && block.parentNode && INLINE.has((block as Element).localName)) block = block.parentNode;
    return block;
  };

  /**
   * Swaps what the pass has read: one native search over the texts, joined, finds the digits of a site number
   * (a number split over nodes is joined again); only their blocks are swapped, line by line. Texts of other lines
   * may join into such digits too: that costs a block's swap, and finds nothing.
   */
  const swapRead = (): void => {
    const blocks = new Set<Node>();
    let i = 0;
    let at = 0;
    for (const { 0: run, index } of texts.join('').matchAll(matcher!.runs)) {
      while (at + texts[i]!.length <= index) at += texts[i++]!.length;
      for (let j = i, from = at; from < index + run.length; from += texts[j++]!.length) blocks.add(blockOf(nodes[j]!));
    }
    texts = [];
    nodes = [];
    blocks.forEach(swapBlock);
  };

  /**
   * Swaps the queued subtrees: text, attributes, open shadow roots. A pass reads every text node once and keeps
   * them all (testing each for a digit measured slower than searching them all, joined). The pass over the whole
   * root swaps what it read at an element that is not inline (a line ends there) every STRETCH elements or so, and
   * pauses there after SLICE ms of reading and swapping, unless the rest should end by FINISH ms, to go on in a later
   * task, so a huge page never gets a long task from us; the first slice runs at once, so the top of the page is
   * swapped before it is painted.
   */
  const run = (): void => {
    try {
      const mine = ++turn;
      // The page's changes since the last slice, before ours are dropped below.
      if (observer) enqueue(observer.takeRecords());
      const start = performance.now();
      let steps = 0;
      for (let job = jobs[0]; job; job = jobs[0]) {
        const [node, paused, sliced] = job;
        // A paused walk whose place the page removed starts over: swapping twice changes nothing.
        const walker = paused?.currentNode.isConnected ? paused : (node.ownerDocument || (node as Document)).createTreeWalker(node, 5);
        let n: Node | null = walker == paused ? walker.nextNode() : node;
        if (sliced && walker != paused) walked = 0;
        for (let count = 0; n; n = walker.nextNode()) {
          if (n.nodeType == 3) {
            texts.push((n as Text).data);
            nodes.push(n as Text);
          } else {
            const shadow = (n as Element).shadowRoot;
            if (shadow) {
              jobs.push([shadow]);
              watch(shadow);
            }
            // The lines before an element that is not inline are complete: a place to swap them and look at the
            // clock, so that a slice counts what the swapping cost too. (Outside this loop: swapping inside it
            // slowed the walk.)
            if (sliced && ++count > STRETCH && !INLINE.has((n as Element).localName)) break;
          }
        }
        swapRead();
        if (n) {
          job[1] = walker;
          steps += STRETCH;
          walked += STRETCH;
          const now = performance.now();
          // What is left, at this slice's pace. (getElementsByTagName counts without building a list.)
          total ||= ((node as Element).getElementsByTagName ? (node as Element).getElementsByTagName('*') : (node as ParentNode).querySelectorAll('*')).length;
          if (now > start + SLICE && now + ((now - start) / steps) * (total - walked) > start + FINISH) {
            later(() => mine == turn && runAndTell());
            break;
          }
          continue;
        }
        jobs.shift();
        for (const element of [node as Element, ...((node as Element).querySelectorAll?.(selector) || [])]) {
          for (const name of attributes) element.getAttribute?.(name) && swapAttribute(element, name);
        }
      }
      if (!jobs[0]) finished();
      // Drop the records of our own writes: they cause no more work.
      observer?.takeRecords();
      // Forget the nodes the page removed, so a long-lived page does not keep them alive through us.
      if (records.size > 500) for (const node of records.keys()) node.isConnected || records.delete(node);
    } catch {
      // A guest never throws into the page.
    }
  };

  /** A run after the caller got its answer: a site number found for the first time is told. */
  const runAndTell = (): void => {
    run();
    try {
      if (fresh) {
        fresh = false;
        options.onFound?.();
      }
    } catch {
      // A guest never throws into the page, nor lets its caller's listener do so.
    }
  };

  /** Queues what the page changed: text and inline elements swap the block they are in. Attributes at once. */
  const enqueue = (mutations: MutationRecord[]): void => {
    const done = new Set<Node>();
    for (const { type, target, addedNodes, attributeName } of mutations) {
      if (type == 'attributes') swapAttribute(target as Element, attributeName!);
      for (let node of type == 'characterData' ? [target] : addedNodes) {
        if (node.nodeType == 3 || INLINE.has((node as Element).localName)) node = blockOf(node);
        // Ahead of a paused pass: new content is swapped before the next frame.
        if (node.isConnected && !done.has(node)) jobs.unshift([node]);
        done.add(node);
      }
    }
  };

  const watch = (target: Node): void =>
    observer?.observe(target, { childList: true, subtree: true, characterData: true, attributeFilter: attributes });

  const onMutations = (mutations: MutationRecord[]): void => {
    try {
      enqueue(mutations);
    } catch {
      // A guest never throws into the page.
    }
    runAndTell();
  };

  const putBack = (): void => {
    for (const [node, record] of records) {
      for (const name of Object.keys(record)) {
        const [original, written] = record[name]!;
        if ((name ? (node as Element).getAttribute(name) : (node as Text).data) == written) {
          if (name) (node as Element).setAttribute(name, original);
          else (node as Text).data = original;
        }
      }
    }
    records.clear();
    found.clear();
    count = 0;
  };

  const start = (next: Record<string, string>): void => {
    const nextMatcher = root && createMatcher(next, country);
    if (nextMatcher) {
      // The new pass covers the whole root, the page's pending changes too. (Running the old jobs here instead
      // resolved `ready` before the first pass had begun.)
      observer?.takeRecords();
      putBack();
      matcher = nextMatcher;
      jobs = [[root, undefined, true]];
      total = walked = 0;
      run();
      // What this pass found so far is the caller's answer.
      fresh = false;
    }
  };

  // The observer exists before the first scan, so the shadow roots it finds are observed too.
  if (observe && typeof MutationObserver == 'function') observer = new MutationObserver(onMutations);
  start(replacements);
  if (matcher) watch(root);
  else {
    observer = undefined;
    finished!();
  }

  return {
    get count() {
      return count;
    },
    get found() {
      return [...found];
    },
    ready,
    update: start,
    restore() {
      observer?.disconnect();
      observer = undefined;
      jobs = [];
      turn++;
      finished();
      putBack();
    },
  };
}
