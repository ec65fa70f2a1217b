/**
 * Calls `fn` in a later task without losing our place in the queue: `scheduler.yield()` continues ahead of the page's
 * other tasks (https://developer.chrome.com/blog/use-scheduler-yield); elsewhere a MessageChannel message, which
 * neither the 4 ms clamp nor the throttling of timers delays (a busy phone held `setTimeout(fn, 0)` for hundreds of
 * ms).
 */
export const later = (fn: () => void): void => {
  const scheduler = (self as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) void scheduler.yield().then(fn);
  else {
    const channel = new MessageChannel();
    channel.port1.onmessage = fn;
    channel.port2.postMessage(0);
  }
};
