/**
 * Calls `fn` in a later task without losing our place in the queue: `scheduler.yield()` continues ahead of the page's
 * other tasks (https://developer.chrome.com/blog/use-scheduler-yield); elsewhere a MessageChannel message, which
 * neither the 4 ms clamp nor the throttling of timers delays (a busy phone held `setTimeout(fn, 0)` for hundreds of
 * ms). What `fn` throws (a page's broken dataLayer.push, a platform refusing a channel) stays here: a guest never
 * throws into the page, from a later task neither.
 */
export const later = (fn: () => void): void => {
  const go = (): void => {
    try {
      fn();
    } catch {
      // Not the page's error.
    }
  };
  const scheduler = (self as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) void scheduler.yield().then(go);
  else {
    const channel = new MessageChannel();
    channel.port1.onmessage = go;
    channel.port2.postMessage(0);
  }
};
