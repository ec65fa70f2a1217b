import { invalid } from '../lib/invalid.js';
import { createMatcher, type Match, type Matcher } from './createMatcher.js';

export interface SwapOptions {
  /** Keep swapping content that is added or changed later (MutationObserver). Default false. */
  observe?: boolean;
  /** A CSS selector for more elements to leave alone, besides `[data-callswap-ignore]` and form fields. */
  ignore?: string;
  /** ISO 3166-1 alpha-2 country of numbers written in national format (`"020 123 4567"` needs `"NL"`). */
  country?: string;
  /** More attributes that hold numbers as text, e.g. `["data-phone"]`. `aria-label`, `title`, `alt` always do. */
  attributes?: string[];
}

/** A running swap. */
export interface SwapHandle {
  /** Occurrences replaced so far (text and attributes together) since the last `update`. */
  readonly count: number;
  /** The site numbers (E.164) found on the page so far, in the order first found. */
  readonly found: string[];
  /** Swaps to other tracking numbers: puts the originals back, then swaps with `replacements`. */
  update(replacements: Record<string, string>): void;
  /** Puts every original string back exactly as it was and stops observing. */
  restore(): void;
}

/** Elements that continue a line of text: a number split over them is still one number. */
const INLINE = new Set(
  'a abbr b bdi bdo cite code data dfn em font i kbd label mark nobr q s samp small span strong sub sup time u var wbr'.split(' '),
);
const IGNORE =
  'script,style,noscript,template,textarea,input,select,option,head,[contenteditable]:not([contenteditable=false]),[data-callswap-ignore]';
const ATTRIBUTES = ['aria-label', 'title', 'alt'];
const DIGIT = /\d/;

type Records = Map<Node, Record<string, [original: string, written: string]>>;

/**
 * Replaces the site's phone numbers under `root` with tracking numbers, in text (also when a number is split over
 * inline elements), in `tel:`/`sms:`/`callto:` hrefs and in text attributes, keeping each occurrence's own format.
 * Writes only `Text.data` and `setAttribute` with validated numbers, never HTML. Throws a TypeError naming a key or
 * value that is not a phone number (the script-tag build warns instead), and then changes nothing.
 */
export function swapNumbers(root: Node, replacements: Record<string, string>, options: SwapOptions = {}): SwapHandle {
  let matcher = createMatcher(replacements, options.country);
  const ignore = IGNORE + (options.ignore ? ',' + options.ignore : '');
  const attributes = ATTRIBUTES.concat(options.attributes || []);
  const records: Records = new Map();
  const found = new Set<string>();
  let count = 0;
  let observer: MutationObserver | undefined;

  const valid =
    (typeof root?.nodeType == 'number' || invalid('root must be a DOM node')) &&
    attributes.every((name) => /^[a-z][\w-]*$/i.test(name) || invalid(`attribute name "${name}" is not valid`)) &&
    (() => {
      try {
        return (root.ownerDocument || (root as Document)).createElement('a').matches(ignore) || true;
      } catch {
        return invalid(`ignore selector "${options.ignore}" is not valid`);
      }
    })();

  const write = (node: Node, name: string, value: string): void => {
    const old = name ? (node as Element).getAttribute(name)! : (node as Text).data;
    let record = records.get(node);
    if (!record) records.set(node, (record = {}));
    const entry = record[name];
    // If the page rewrote what we wrote, what it wrote is the original to restore.
    if (!entry || entry[1] != old) record[name] = [old, value];
    else entry[1] = value;
    if (name) (node as Element).setAttribute(name, value);
    else (node as Text).data = value;
  };

  const counted = (matches: Match[]): void => {
    count += matches.length;
    for (const match of matches) found.add(match[3]);
  };

  const swapAttribute = (element: Element, name: string): void => {
    const value = element.getAttribute(name);
    const result =
      value &&
      matcher &&
      (name == 'href' ? matcher.replaceHref(value) : attributes.includes(name) ? matcher.replace(value) : undefined);
    if (result && !element.closest(ignore)) {
      write(element, name, result[0]);
      counted(result[1]);
    }
  };

  /** Swaps one run of text nodes that reads as one line (no block boundary between them). */
  const swapLine = (nodes: Text[], m: Matcher): void => {
    const texts = nodes.map((node) => node.data);
    const line = texts.join('');
    if (!DIGIT.test(line)) return;
    const matches = m.find(line);
    if (!matches.length) return;
    const starts: number[] = [];
    texts.reduce((at, text) => (starts.push(at), at + text.length), 0);
    const out = texts.slice();
    // Last match first, so offsets of earlier matches in the same node stay valid.
    for (const [start, end, replacement] of matches.slice().reverse()) {
      let rest = replacement;
      texts.forEach((text, i) => {
        const at = starts[i]!;
        if (at >= end || at + text.length <= start) return;
        const from = Math.max(start, at) - at;
        const to = Math.min(end, at + text.length) - at;
        let piece = replacement.slice(from + at - start, to + at - start);
        if (replacement.length != end - start) {
          // Another number of digits: each node keeps as many digits as it had, the last one takes the rest.
          let take = rest.length;
          if (at + text.length < end) {
            const digits = text.slice(from, to).replace(/\D/g, '').length;
            for (let seen = (take = 0); seen < digits && take < rest.length; take++) seen += +DIGIT.test(rest[take]!);
          }
          piece = rest.slice(0, take);
          rest = rest.slice(take);
        }
        out[i] = out[i]!.slice(0, from) + piece + out[i]!.slice(to);
      });
    }
    nodes.forEach((node, i) => out[i] != texts[i] && write(node, '', out[i]!));
    counted(matches);
  };

  /** Swaps the lines of a block: its text and inline descendants, not nested blocks. */
  const swapBlock = (block: Node, done: Set<Node>, m: Matcher): void => {
    if (done.has(block)) return;
    done.add(block);
    if (block.nodeType == 1 && (block as Element).closest(ignore)) return;
    let line: Text[] = [];
    const visit = (parent: Node): void => {
      for (let child = parent.firstChild; child; child = child.nextSibling) {
        if (child.nodeType == 3) line.push(child as Text);
        else if (child.nodeType == 1 && INLINE.has((child as Element).localName) && !(child as Element).matches(ignore)) {
          visit(child);
        } else if (child.nodeType == 1) {
          swapLine(line, m);
          line = [];
        }
      }
    };
    visit(block);
    swapLine(line, m);
  };

  /** The nearest ancestor of `node` that is not inline (stops at `root`). */
  const blockOf = (node: Node): Node => {
    let block = node.parentNode!;
    while (block != root && block.nodeType == 1 && INLINE.has((block as Element).localName) && block.parentNode) {
      block = block.parentNode;
    }
    return block;
  };

  const selector = () => '[href],' + attributes.map((name) => `[${name}]`).join();

  /** Swaps everything under `node` (itself included). */
  const scan = (node: Node, done: Set<Node>): void => {
    const m = matcher;
    if (!m) return;
    if (node.nodeType == 3) {
      if (DIGIT.test((node as Text).data)) swapBlock(blockOf(node), done, m);
      return;
    }
    const doc = node.ownerDocument || (node as Document);
    const walker = doc.createTreeWalker(node, 5 /* NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT */);
    for (let n: Node | null = node; n; n = walker.nextNode()) {
      if (n.nodeType == 3) {
        if (DIGIT.test((n as Text).data)) swapBlock(blockOf(n), done, m);
      } else if ((n as Element).shadowRoot) {
        const shadow = (n as Element).shadowRoot!;
        scan(shadow, done);
        watch(shadow);
      }
    }
    const elements = (node as ParentNode).querySelectorAll?.(selector()) || [];
    for (const element of [node as Element].concat(Array.from(elements))) {
      if (element.nodeType != 1) continue;
      for (const name of attributes.concat('href')) swapAttribute(element, name);
    }
  };

  const watch = (target: Node): void =>
    observer?.observe(target, {
      childList: true,
      subtree: true,
      characterData: true,
      attributeFilter: attributes.concat('href'),
    });

  const onMutations = (mutations: MutationRecord[]): void => {
    try {
      const done = new Set<Node>();
      for (const { type, target, addedNodes, attributeName } of mutations) {
        if (!target.isConnected) continue;
        if (type == 'attributes') {
          swapAttribute(target as Element, attributeName!);
        } else if (type == 'characterData') {
          scan(target, done);
        } else {
          for (const added of Array.from(addedNodes)) {
            if (!added.isConnected) continue;
            // Text or an inline element joins the line around it; a block is swapped on its own.
            if (added.nodeType == 3 || INLINE.has((added as Element).localName)) matcher && swapBlock(blockOf(added), done, matcher);
            if (added.nodeType == 1) scan(added, done);
          }
        }
      }
      // Drop the records of our own writes, so they cause no more work.
      observer?.takeRecords();
      if (records.size > 500) {
        for (const node of records.keys()) if (!node.isConnected) records.delete(node);
      }
    } catch {
      // A guest never throws into the page.
    }
  };

  const putBack = (): void => {
    for (const [node, record] of records) {
      for (const [name, [original, written]] of Object.entries(record)) {
        const current = name ? (node as Element).getAttribute(name) : (node as Text).data;
        if (current == written) {
          if (name) (node as Element).setAttribute(name, original);
          else (node as Text).data = original;
        }
      }
    }
    records.clear();
    count = 0;
    found.clear();
  };

  if (valid && matcher) {
    scan(root, new Set());
    if (options.observe && typeof MutationObserver == 'function') {
      observer = new MutationObserver(onMutations);
      watch(root);
    }
  }

  return {
    get count() {
      return count;
    },
    get found() {
      return [...found];
    },
    update(next) {
      const nextMatcher = createMatcher(next, options.country);
      if (!nextMatcher || !valid) return;
      if (observer) onMutations(observer.takeRecords());
      putBack();
      matcher = nextMatcher;
      scan(root, new Set());
      observer?.takeRecords();
    },
    restore() {
      observer?.disconnect();
      observer = undefined;
      putBack();
      matcher = undefined;
    },
  };
}
