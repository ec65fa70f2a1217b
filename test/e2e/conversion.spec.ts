import { expect, test } from '@playwright/test';
import { twilioSign } from '../helpers';
import { ADMIN_TOKEN, TWILIO_AUTH_TOKEN, poolPort } from './playwright.config';

// From an ad click to a conversion in the ad platform's file: a visit from a Google ad, on a page whose consent tool
// granted Consent Mode's signals, leases a number and taps it; Twilio's webhook (signed as Twilio documents) calls
// that number and is forwarded to the site number; the <Dial action> says the business answered, the status callback
// adds the duration; the Google Ads file holds the visit's gclid at the call's time. (ads.spec.ts: every rule.)
test.use({ baseURL: `http://127.0.0.1:${poolPort}` });

const base = `http://127.0.0.1:${poolPort}`;
const sign = (url: string, params: Record<string, string>) => twilioSign(TWILIO_AUTH_TOKEN, url, params);

test('an ad visit, a tap, a forwarded call with its duration, and the conversion in the Google Ads file', async ({ page, request, browserName }) => {
  const granted = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };
  await page.addInitScript((consent) => ((window as any).dataLayer = [['consent', 'default', consent]]), granted);
  const clicks = async (): Promise<number> => (await (await request.get(`${base}/v1/stats?site=e2e`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()).clicks.paid_search ?? 0;
  const clicksBefore = await clicks();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const events: { type: string; target?: string }[] = [];
  page.on('request', (r) => r.url().endsWith('/events') && events.push(JSON.parse(r.postData() || '{}')));
  await page.goto('/test/e2e/pages/init-stub.html?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_term=boiler&gclid=EAIaIQobChMI-e2e_conversion');
  const link = page.locator('#call');
  await expect(link).toHaveAttribute('href', /^tel:\+4420794607\d\d$/);
  const tracking = (await link.getAttribute('href'))!.slice(4);
  await page.evaluate(() => ((window as any).dataLayer.length = 0));
  // The tap: a click event for the page, a dataLayer push, an event to the pool (the link keeps its page here).
  await page.evaluate(() => document.getElementById('call')!.addEventListener('click', (e) => e.preventDefault()));
  const clicked = page.evaluate(() => new Promise((resolve) => (window as any).callswap('on', 'click', resolve)));
  await link.click();
  expect(await clicked).toEqual({ number: tracking, target: '+442079460018', kind: 'tel' });
  expect(await page.evaluate(() => (window as any).dataLayer.filter((e: { event: string }) => e.event == 'callswap.click'))).toEqual([
    { event: 'callswap.click', callswap: { number: tracking, target: '+442079460018', channel: 'paid_search', source: 'google', medium: 'cpc', campaign: 'winter', term: 'boiler', session: expect.stringMatching(/^\w{32}$/) } },
  ]);
  // The pool counts the tap; its request body is readable in Chromium (over CDP), not over WebDriver BiDi.
  await expect.poll(clicks).toBeGreaterThan(clicksBefore);
  if (browserName == 'chromium') await expect.poll(() => events.filter((e) => e.type == 'click')).toEqual([{ type: 'click', page: '/test/e2e/pages/init-stub.html', target: '+442079460018', consent: granted }]);

  // The call, as Twilio would send it.
  const sid = `CA${Date.now().toString(16).padEnd(32, '0')}`;
  const call = { AccountSid: 'AC0123', CallSid: sid, From: '+447700900123', To: tracking, Direction: 'inbound', CallStatus: 'ringing' };
  const url = `${base}/v1/telephony/twilio/voice`;
  const refused = await request.post(url, { form: call, headers: { 'x-twilio-signature': sign(url, { ...call, From: '+447700900999' }) } });
  expect(refused.status()).toBe(403);
  const answered = await request.post(url, { form: call, headers: { 'x-twilio-signature': sign(url, call) } });
  expect(answered.status()).toBe(200);
  expect(await answered.text()).toBe(`<Response><Dial action="${base}/v1/telephony/twilio/dial" callerId="${tracking}">+442079460018</Dial></Response>`);
  const dialUrl = `${base}/v1/telephony/twilio/dial`;
  const dial = { AccountSid: 'AC0123', CallSid: sid, DialCallStatus: 'completed', DialCallDuration: '180' };
  expect((await request.post(dialUrl, { form: dial, headers: { 'x-twilio-signature': sign(dialUrl, dial) } })).status()).toBe(200);
  const statusUrl = `${base}/v1/telephony/twilio/status`;
  const status = { AccountSid: 'AC0123', CallSid: sid, CallStatus: 'completed', CallDuration: '187' };
  expect((await request.post(statusUrl, { form: status, headers: { 'x-twilio-signature': sign(statusUrl, status) } })).status()).toBe(204);

  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const recorded = (await (await request.get('/v1/calls?site=e2e', { headers: admin })).json()).find((c: { ref?: string }) => c.ref == sid);
  expect(recorded).toMatchObject({ to: tracking, duration: 187, status: 'completed', source: { campaign: 'winter', clickIds: { gclid: 'EAIaIQobChMI-e2e_conversion' } } });
  expect(recorded).toMatchObject({ dial: { status: 'completed', duration: 180 }, consent: granted });
  const file = await (await request.get('/v1/conversions.csv?site=e2e&provider=google_ads', { headers: admin })).text();
  const lines = file.split('\r\n');
  expect(lines[0]).toEqual('Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency,Ad User Data,Ad Personalization');
  const at = new Date(recorded.at);
  const time = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/London', dateStyle: 'short', timeStyle: 'medium' }).format(at);
  const offset = new Intl.DateTimeFormat('en', { timeZone: 'Europe/London', timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type == 'timeZoneName')!.value.replace(/^GMT$/, 'GMT+00:00').replace('GMT', '');
  expect(lines).toContain(`EAIaIQobChMI-e2e_conversion,Phone call,${time}${offset},30,GBP,Granted,Granted`);
  const stats = await (await request.get('/v1/stats?site=e2e', { headers: admin })).json();
  expect(stats.clicks.paid_search).toBeGreaterThanOrEqual(1);
  expect(errors).toEqual([]);
});
