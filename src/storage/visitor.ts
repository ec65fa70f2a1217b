/** The first-party visitor id: random, kept in localStorage, never a cookie (it is not sent with requests). */
export const VISITOR_KEY = '_callswap_visitor';

/** The visitor id, created on first use; undefined when storage is blocked. */
export function getVisitor(): string | undefined {
  try {
    let id = localStorage.getItem(VISITOR_KEY);
    if (!id || !/^[\w-]{8,64}$/.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) => (c == '+' ? '-' : c == '/' ? '_' : ''));
      localStorage.setItem(VISITOR_KEY, id);
    }
    return id;
  } catch {
    return;
  }
}

/** Deletes every key callswap keeps in localStorage (consent withdrawn). */
export function forgetStorage(): void {
  try {
    for (const key of Object.keys(localStorage)) if (key.startsWith('_callswap')) localStorage.removeItem(key);
  } catch {
    // Nothing stored where storage is blocked.
  }
}
