/** A binary min-heap: push and pop in O(log n), peek in O(1). */
export interface Heap<T> {
  push(item: T): void;
  peek(): T | undefined;
  pop(): T | undefined;
  readonly size: number;
}

export function createHeap<T>(less: (a: T, b: T) => boolean): Heap<T> {
  const items: T[] = [];
  const swap = (i: number, j: number) => ([items[i], items[j]] = [items[j]!, items[i]!]);
  return {
    push(item) {
      items.push(item);
      for (let i = items.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!less(items[i]!, items[parent]!)) break;
        swap(i, parent);
        i = parent;
      }
    },
    peek: () => items[0],
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length && last !== undefined) {
        items[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let min = i;
          if (l < items.length && less(items[l]!, items[min]!)) min = l;
          if (r < items.length && less(items[r]!, items[min]!)) min = r;
          if (min == i) break;
          swap(i, min);
          i = min;
        }
      }
      return top;
    },
    get size() {
      return items.length;
    },
  };
}
