import { onCLS, onINP, onLCP, type Metric } from 'web-vitals';
import { send as post } from '../lease/request.js';

export interface VitalsTarget {
  /** The pool endpoint, e.g. `https://pool.example.com/v1`. */
  endpoint: string;
  /**
   * The lease session the measurements belong to, or a function that tells it when a metric is sent (a lease may
   * arrive after the metrics are registered): `() => tracking.status().lease?.session`. Nothing is sent without one.
   */
  session: string | (() => string | undefined);
}

/**
 * Sends the page's Core Web Vitals (CLS, INP, LCP) to the pool as `vitals` events, so a site owner can see that
 * call tracking does the page no harm. Sent as the SDK sends every event: fetch with keepalive, text/plain JSON,
 * no cookies, no Referer. Returns a function that stops reporting.
 */
export function reportVitals({ endpoint, session }: VitalsTarget): () => void {
  let active = true;
  const send = (metric: Metric): void => {
    const id = typeof session == 'function' ? session() : session;
    if (active && id) {
      post(`${endpoint.replace(/\/+$/, '')}/sessions/${encodeURIComponent(id)}/events`, {
        type: 'vitals',
        page: location.pathname,
        name: metric.name,
        value: Math.round(metric.name == 'CLS' ? metric.value * 1000 : metric.value),
        rating: metric.rating,
      });
    }
  };
  onCLS(send);
  onINP(send);
  onLCP(send);
  return () => {
    active = false;
  };
}
