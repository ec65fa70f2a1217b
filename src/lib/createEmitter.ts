/**
 * A tiny event emitter. Events are delivered in a microtask, so a listener added right after the call that caused
 * them (`init(config).on('swap', fn)`) still gets them. Listeners that throw are isolated: a guest never lets one
 * callback break the rest.
 */
export interface Emitter<E> {
  on: <K extends keyof E>(event: K, fn: (detail: E[K]) => void) => () => void;
  emit: <K extends keyof E>(event: K, detail: E[K]) => void;
  clear: () => void;
}

export function createEmitter<E>(): Emitter<E> {
  let listeners: [keyof E, (detail: never) => void][] = [];
  return {
    on(event, fn) {
      const entry: [keyof E, (detail: never) => void] = [event, fn];
      listeners.push(entry);
      return () => {
        listeners = listeners.filter((l) => l != entry);
      };
    },
    emit(event, detail) {
      queueMicrotask(() => {
        for (const [name, fn] of listeners) {
          if (name == event) {
            try {
              (fn as (d: unknown) => void)(detail);
            } catch {
              // The page's listener failed; the others still run.
            }
          }
        }
      });
    },
    clear() {
      listeners = [];
    },
  };
}
