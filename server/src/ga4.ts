// Answered calls into Google Analytics 4, through the Measurement Protocol
// (https://developers.google.com/analytics/devguides/collection/protocols/ga4): one event per answered call of at
// least the site's minDuration, for visits whose page granted analytics_storage and gave GA's client id. Each call's
// event is scheduled in the store, taken by one process, marked as on its way before it is sent (so a crash mid-way
// never sends it twice), and retried with backoff for as long as GA4 takes events back: 72 hours.
import type { FastifyBaseLogger } from 'fastify';
import { GA4_EVENT, type PoolConfig } from './config.js';
import { answered, minDurationOf } from './conversions.js';
import type { Call, Delivery, Store } from './store/store.js';

/** Google's collection endpoint; GA4_ENDPOINT points elsewhere (a test's stand-in). */
export const GA4_COLLECT = 'https://www.google-analytics.com/mp/collect';
/** How far back GA4 takes an event's timestamp. */
const WINDOW = 72 * 3_600_000;
/** How often due events are looked for (ms). */
const EVERY = 5000;
/** Longest wait between two tries (ms). */
const LONGEST = 6 * 3_600_000;
/** A request to GA4 gives up after this long (ms). */
const TIMEOUT = 10_000;

export interface Ga4 {
  /** Schedules the call's event when it is one to send (answered, long enough, consented, GA configured). */
  consider(call: Call): Promise<void>;
  /** Sends what is due now (the timer calls it; tests call it to not wait). */
  deliver(): Promise<void>;
  stop(): void;
}

/** The Measurement Protocol body of a call's event. */
export function ga4Payload(call: Call, config: PoolConfig): { client_id: string; timestamp_micros: number; consent?: Record<string, string>; events: { name: string; params: Record<string, string | number> }[] } {
  const site = config.sites[call.site!]!;
  const upper = (signal: string | undefined) => signal && signal.toUpperCase();
  const consent = Object.fromEntries(
    (['ad_user_data', 'ad_personalization'] as const).filter((name) => call.consent?.[name]).map((name) => [name, upper(call.consent![name])!]),
  );
  const conversion = site.conversion;
  return {
    client_id: call.ga!.clientId,
    timestamp_micros: Date.parse(call.at) * 1000,
    ...(Object.keys(consent).length && { consent }),
    events: [
      {
        name: site.ga4?.eventName ?? GA4_EVENT,
        params: {
          ...(call.ga!.sessionId && { session_id: call.ga!.sessionId }),
          // GA counts a session as engaged from this; a call is engagement.
          engagement_time_msec: 100,
          value: conversion?.value ?? 0,
          currency: conversion?.currency ?? 'EUR',
          call_duration: answered(call) ?? 0,
          ...(call.source?.channel && { call_channel: call.source.channel.slice(0, 100) }),
        },
      },
    ],
  };
}

/**
 * The GA4 sender of a pool: `consider` schedules a call's event, a timer sends what is due every 5 s. `endpoint` is
 * Google's collect URL unless a test gives its stand-in; `timeout` (ms) bounds one request.
 */
export function createGa4({ config, store, log, endpoint = GA4_COLLECT, timeout = TIMEOUT }: { config: PoolConfig; store: Store; log: FastifyBaseLogger; endpoint?: string; timeout?: number }): Ga4 {
  const sites = new Map(Object.entries(config.sites));
  const state = (delivery: Omit<Delivery, 'at'>, at: number): Delivery => ({ ...delivery, at: new Date(at).toISOString() });

  const wanted = (call: Call): boolean => {
    const site = call.site ? sites.get(call.site) : undefined;
    return !!site?.ga4 && !call.ga4 && !!call.ga?.clientId && call.consent?.analytics_storage == 'granted' && (answered(call) ?? -1) >= minDurationOf(site);
  };

  const send = async (call: Call): Promise<string | undefined> => {
    const { measurementId, apiSecret } = sites.get(call.site!)!.ga4!;
    const url = `${endpoint}?measurement_id=${encodeURIComponent(measurementId)}&api_secret=${encodeURIComponent(apiSecret)}`;
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ga4Payload(call, config)), signal: AbortSignal.timeout(timeout) });
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (e) {
      return (e as Error).name == 'TimeoutError' ? 'timeout' : 'network';
    }
  };

  const deliver = async (): Promise<void> => {
    const t = await store.now();
    for (const id of await store.due(t, 20)) {
      const call = await store.getCall(id);
      if (!call?.ga4 || call.ga4.state != 'pending') continue;
      // Withdrawn, or analytics_storage denied, since it was scheduled: it is not sent, and the call says nothing.
      if (!call.ga || call.consent?.analytics_storage != 'granted') {
        await store.patchCall(id, { ga4: undefined });
        continue;
      }
      const attempts = call.ga4.attempts + 1;
      // On its way before it is sent: a crash from here on never sends it a second time.
      await store.patchCall(id, { ga4: state({ state: 'sending', attempts }, t) });
      const error = await send(call);
      const after = await store.now();
      if (!error) {
        await store.patchCall(id, { ga4: state({ state: 'sent', attempts }, after) });
        continue;
      }
      const next = after + Math.min(LONGEST, 60_000 * 2 ** (attempts - 1));
      if (next - Date.parse(call.at) > WINDOW) {
        log.warn({ call: id, site: call.site, error }, 'a call\'s GA4 event was not delivered in 72 hours; given up');
        await store.patchCall(id, { ga4: state({ state: 'failed', attempts, error }, after) });
      } else {
        await store.patchCall(id, { ga4: state({ state: 'pending', attempts, error }, after) });
        await store.schedule(id, next);
      }
    }
  };

  const timer = setInterval(() => deliver().catch((e) => log.warn({ err: { message: (e as Error).message } }, 'GA4 delivery failed')), EVERY);
  timer.unref();

  return {
    async consider(call) {
      if (!wanted(call)) return;
      const t = await store.now();
      await store.patchCall(call.id, { ga4: state({ state: 'pending', attempts: 0 }, t) });
      await store.schedule(call.id, t);
    },
    deliver,
    stop: () => clearInterval(timer),
  };
}
