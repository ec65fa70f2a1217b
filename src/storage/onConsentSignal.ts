interface TcData {
  eventStatus?: string;
  gdprApplies?: boolean;
  listenerId?: number;
  purpose?: { consents?: Record<string, boolean> };
}
type TcfApi = (command: string, version: number, callback: (data: TcData, success: boolean) => void, parameter?: unknown) => void;
type Page = Window & { __tcfapi?: TcfApi; dataLayer?: unknown[] };

/**
 * Calls `fn(granted)` when the page's consent tools decide about storage: IAB TCF v2.2 (`__tcfapi`, purpose 1,
 * "store and/or access information on a device"; granted where GDPR does not apply) and Google Consent Mode
 * (`ad_storage` in `gtag('consent', 'default' | 'update', …)` commands, the ones already in `dataLayer` and the
 * ones pushed later). Returns the unsubscribe. Never throws: a consent tool that misbehaves is ignored.
 */
export function onConsentSignal(fn: (granted: boolean) => void): () => void {
  const page = window as Page;
  const stops: (() => void)[] = [];
  try {
    if (typeof page.__tcfapi == 'function') {
      let id: number | undefined;
      page.__tcfapi('addEventListener', 2, (data, success) => {
        if (!success || !data) return;
        id = data.listenerId;
        if (data.gdprApplies === false) fn(true);
        else if (data.eventStatus == 'tcloaded' || data.eventStatus == 'useractioncomplete') fn(data.purpose?.consents?.[1] === true);
      });
      stops.push(() => page.__tcfapi?.('removeEventListener', 2, () => undefined, id));
    }
  } catch {
    // A broken CMP is not ours to fix.
  }
  const dataLayer = page.dataLayer;
  if (Array.isArray(dataLayer)) {
    /** A gtag consent command: the arguments object ['consent', 'default' | 'update', { ad_storage }]. */
    const read = (entry: unknown): void => {
      const args = entry as ArrayLike<unknown> | undefined;
      const state = args && args[0] == 'consent' && (args[2] as { ad_storage?: string } | undefined)?.ad_storage;
      if (state == 'granted' || state == 'denied') fn(state == 'granted');
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
