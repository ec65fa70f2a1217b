import type { Consent } from '../lease/protocol.js';

interface TcData {
  eventStatus?: string;
  gdprApplies?: boolean;
  listenerId?: number;
  purpose?: { consents?: Record<string, boolean> };
}
type TcfApi = (command: string, version: number, callback: (data: TcData, success: boolean) => void, parameter?: unknown) => void;
type Page = Window & { __tcfapi?: TcfApi; dataLayer?: unknown[] };

/** Google Consent Mode's four signals, the names the page, the pool and the files share. */
export const SIGNALS = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const;

const state = (granted: boolean) => (granted ? 'granted' : 'denied');

/** The signals in `given` said as granted or denied; anything else in it is left out. */
export const readSignals = (given: Record<string, unknown>): Consent => {
  const signals: Consent = {};
  for (const name of SIGNALS) if (given[name] == 'granted' || given[name] == 'denied') signals[name] = given[name] as 'granted';
  return signals;
};

/** All four signals granted, or all denied. */
export const allSignals = (granted: boolean): Consent => Object.fromEntries(SIGNALS.map((name) => [name, state(granted)]));

/**
 * Calls `fn(signals)` with what the page's consent tools decide, as Google Consent Mode v2's signals (only the ones
 * decided): Consent Mode's own `gtag('consent', 'default' | 'update', …)` commands, the ones already in `dataLayer`
 * and the ones pushed later, and IAB TCF v2.2 (`__tcfapi`) through Google's published mapping of purposes. Returns
 * the unsubscribe. Never throws: a consent tool that misbehaves is ignored.
 */
export function onConsentSignal(fn: (signals: Consent) => void): () => void {
  const page = window as Page;
  const stops: (() => void)[] = [];
  try {
    if (typeof page.__tcfapi == 'function') {
      let id: number | undefined;
      page.__tcfapi('addEventListener', 2, (data, success) => {
        if (!success || !data) return;
        id = data.listenerId;
        const p = data.purpose?.consents || {};
        // Where GDPR does not apply, nothing needs consent. Google's mapping (developers.google.com/tag-platform/
        // security/guides/implement-TCF-strings): ad_storage ← purpose 1, ad_user_data ← 1 and 7, ad_personalization
        // ← 3 and 4. It maps nothing to analytics_storage, so neither do we: GA's ids then wait for Consent Mode.
        if (data.gdprApplies === false) fn(allSignals(true));
        else if (data.eventStatus == 'tcloaded' || data.eventStatus == 'useractioncomplete')
          fn({ ad_storage: state(!!p[1]), ad_user_data: state(!!(p[1] && p[7])), ad_personalization: state(!!(p[3] && p[4])) });
      });
      stops.push(() => page.__tcfapi?.('removeEventListener', 2, () => undefined, id));
    }
  } catch {
    // A broken CMP is not ours to fix.
  }
  const dataLayer = page.dataLayer;
  if (Array.isArray(dataLayer)) {
    /** A gtag consent command: the arguments object ['consent', 'default' | 'update', { ad_storage, … }]. */
    const read = (entry: unknown): void => {
      const args = entry as ArrayLike<unknown> | undefined;
      const given = args && args[0] == 'consent' && (args[2] as Record<string, unknown> | undefined);
      const signals = given && readSignals(given);
      if (signals && Object.keys(signals).length) fn(signals);
    };
    try {
      dataLayer.forEach(read);
      const push = dataLayer.push;
      const ours = function (this: unknown[], ...entries: unknown[]) {
        const result = push.apply(this, entries);
        entries.forEach((entry) => {
          try {
            read(entry);
          } catch {
            // Never break the page's dataLayer.
          }
        });
        return result;
      };
      dataLayer.push = ours;
      // Put the page's push back, unless something wrapped ours since (then ours stays, and reads nothing more).
      stops.push(() => (dataLayer.push === ours ? (dataLayer.push = push) : (fn = () => undefined)));
    } catch {
      // A frozen dataLayer: Consent Mode commands are not readable then.
    }
  }
  return () => stops.forEach((stop) => stop());
}
