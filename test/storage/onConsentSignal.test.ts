// onConsentSignal on its own: Google Consent Mode's commands in the dataLayer (before and after), IAB TCF v2.2 by
// Google's mapping, and a page's tools that misbehave; the page's own dataLayer.push is given back on stop.
import { afterEach, describe, expect, test } from 'vitest';
import { allSignals, onConsentSignal, readSignals } from '../../src/storage/onConsentSignal';
import type { Consent } from '../../src/lease/protocol';

type Page = Window & { dataLayer?: unknown[]; __tcfapi?: unknown };
const page = window as Page;
/** gtag's arguments object, as the dataLayer holds it. */
function gtag(..._args: unknown[]): IArguments {
  // eslint-disable-next-line prefer-rest-params -- gtag pushes its arguments object, not an array
  return arguments;
}

afterEach(() => {
  delete page.dataLayer;
  delete page.__tcfapi;
});

test('readSignals keeps the four signals said as granted or denied; allSignals says all four', () => {
  expect(readSignals({ ad_storage: 'granted', analytics_storage: 'maybe', ad_user_data: 'denied', wait_for_update: 500 })).toEqual({ ad_storage: 'granted', ad_user_data: 'denied' });
  expect(allSignals(false)).toEqual({ ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' });
});

describe('Consent Mode in the dataLayer', () => {
  test("the commands already there, then the ones pushed later; the page's push still returns what it did", () => {
    page.dataLayer = [gtag('consent', 'default', { ad_storage: 'denied', analytics_storage: 'denied' }), { event: 'gtm.js' }];
    const heard: Consent[] = [];
    const stop = onConsentSignal((s) => heard.push(s));
    const length = page.dataLayer.push(gtag('consent', 'update', { ad_storage: 'granted', ad_user_data: 'granted' }), { event: 'other' });
    expect(length).toBe(4);
    expect(heard).toEqual([{ ad_storage: 'denied', analytics_storage: 'denied' }, { ad_storage: 'granted', ad_user_data: 'granted' }]);
    stop();
    page.dataLayer.push(gtag('consent', 'update', { ad_storage: 'denied' }));
    expect(heard).toHaveLength(2);
  });

  test("stop gives the page's push back, unless something wrapped ours since: then ours stays and hears nothing", () => {
    page.dataLayer = [];
    const own = page.dataLayer.push;
    onConsentSignal(() => undefined)();
    expect(page.dataLayer.push).toBe(own);
    const heard: Consent[] = [];
    const stop = onConsentSignal((s) => heard.push(s));
    const ours = page.dataLayer.push;
    page.dataLayer.push = function (...entries: unknown[]) {
      return ours.apply(this, entries);
    };
    stop();
    page.dataLayer.push(gtag('consent', 'update', { ad_storage: 'granted' }));
    expect(heard).toEqual([]);
  });

  test('a frozen dataLayer is read, and not wrapped, without an exception', () => {
    page.dataLayer = Object.freeze([gtag('consent', 'default', { ad_storage: 'granted' })]) as unknown[];
    const heard: Consent[] = [];
    expect(() => onConsentSignal((s) => heard.push(s))()).not.toThrow();
    expect(heard).toEqual([{ ad_storage: 'granted' }]);
  });
});

describe('IAB TCF v2.2', () => {
  /** A CMP that answers `addEventListener` with these TC data, one after another. */
  const cmp = (...answers: object[]) => {
    const calls: unknown[][] = [];
    page.__tcfapi = (command: string, version: number, callback: (data: object, ok: boolean) => void, parameter?: unknown) => {
      calls.push([command, version, parameter]);
      if (command == 'addEventListener') for (const data of answers) callback({ listenerId: 7, ...data }, true);
    };
    return calls;
  };

  test("Google's mapping: ad_storage ← 1, ad_user_data ← 1 and 7, ad_personalization ← 3 and 4; nothing for analytics", () => {
    cmp(
      { eventStatus: 'cmpuishown', gdprApplies: true, purpose: { consents: {} } },
      { eventStatus: 'useractioncomplete', gdprApplies: true, purpose: { consents: { 1: true, 3: true, 7: true } } },
      { eventStatus: 'tcloaded', gdprApplies: true, purpose: { consents: { 1: true, 3: true, 4: true } } },
    );
    const heard: Consent[] = [];
    onConsentSignal((s) => heard.push(s));
    expect(heard).toEqual([
      { ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied' },
      { ad_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'granted' },
    ]);
  });

  test('where GDPR does not apply, all four are granted; stop removes our listener by its id', () => {
    const calls = cmp({ eventStatus: 'tcloaded', gdprApplies: false });
    const heard: Consent[] = [];
    onConsentSignal((s) => heard.push(s))();
    expect(heard).toEqual([allSignals(true)]);
    expect(calls).toEqual([['addEventListener', 2, undefined], ['removeEventListener', 2, 7]]);
  });

  test('a CMP that throws or fails is ignored', () => {
    page.__tcfapi = () => {
      throw new Error('broken CMP');
    };
    expect(() => onConsentSignal(() => undefined)()).not.toThrow();
    page.__tcfapi = (_: string, __: number, callback: (data: unknown, ok: boolean) => void) => callback(null, false);
    const heard: Consent[] = [];
    onConsentSignal((s) => heard.push(s));
    expect(heard).toEqual([]);
  });
});
