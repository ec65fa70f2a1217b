// Log helpers shared by the routes.

/** Keys remembered at most by one `hourly()`: keys come from requests (origins, site ids). */
const MAX_KEYS = 1000;
const HOUR = 3_600_000;

/**
 * A gate that lets `log` run once per key and hour: a setup mistake (an origin not allowed, an unknown site) is
 * logged where the operator looks, without one line per request.
 */
export function hourly(now = Date.now): (key: string, log: () => void) => void {
  const last = new Map<string, number>();
  return (key, log) => {
    const t = now();
    if (t - (last.get(key) ?? -Infinity) < HOUR) return;
    if (last.size >= MAX_KEYS) last.clear();
    last.set(key, t);
    log();
  };
}
