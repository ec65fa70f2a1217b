// A stand-in for Google Analytics 4's Measurement Protocol endpoint on loopback, for the pool server's tests and the
// end-to-end specs: it checks each body by the rules Google documents for /mp/collect and its validation server
// (https://developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events and
// .../validating-events), keeps what it got, and can fail or hang on request. Like Google's, /mp/collect answers
// 204 whatever the body holds (a bad event is dropped silently there); /debug/mp/collect answers the messages.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

// Names GA4 keeps for itself: an event by one of these is dropped.
const RESERVED_EVENTS = new Set(
  'ad_activeview ad_click ad_exposure ad_impression ad_query ad_reward adunit_exposure app_background app_clear_data app_exception app_remove app_store_refund app_store_subscription_cancel app_store_subscription_convert app_store_subscription_renew app_update app_upgrade dynamic_link_app_open dynamic_link_app_update dynamic_link_first_open error firebase_campaign firebase_in_app_message_action firebase_in_app_message_dismiss firebase_in_app_message_impression first_open first_visit in_app_purchase notification_dismiss notification_foreground notification_open notification_receive notification_send os_update screen_view session_start session_start_with_rollout user_engagement'.split(' '),
);
const RESERVED_PREFIX = /^(_|firebase_|ga_|google_|gtag\.)/;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const CONSENT = new Set(['GRANTED', 'DENIED']);
const MAX_BODY = 130_000;
const WINDOW_MICROS = 72 * 3600 * 1e6;

/**
 * The validation messages Google's validation server would give `body` (an empty list: valid).
 * `now` (ms) is the clock timestamps are checked against.
 */
export function validateGa4(body, query, stream, now = Date.now()) {
  const messages = [];
  const fail = (fieldPath, validationCode, description) => messages.push({ fieldPath, validationCode, description });
  if (query.get('measurement_id') != stream.measurementId) fail('measurement_id', 'VALUE_INVALID', `unknown measurement_id ${query.get('measurement_id')}`);
  if (query.get('api_secret') != stream.apiSecret) fail('api_secret', 'VALUE_INVALID', 'wrong api_secret');
  if (!body || typeof body != 'object' || Array.isArray(body)) return fail('', 'VALUE_INVALID', 'the body is not a JSON object'), messages;
  const known = new Set(['client_id', 'user_id', 'timestamp_micros', 'user_properties', 'user_data', 'consent', 'non_personalized_ads', 'user_location', 'ip_override', 'device', 'events', 'validation_behavior']);
  for (const key of Object.keys(body)) if (!known.has(key)) fail(key, 'NAME_INVALID', `unknown field ${key}`);
  if (typeof body.client_id != 'string' || !body.client_id) fail('client_id', 'VALUE_REQUIRED', 'client_id is required for a web stream');
  if ('timestamp_micros' in body) {
    const micros = body.timestamp_micros;
    if (!Number.isInteger(micros)) fail('timestamp_micros', 'VALUE_INVALID', 'timestamp_micros is not an integer');
    else if (micros > (now + 60_000) * 1000) fail('timestamp_micros', 'VALUE_OUT_OF_BOUNDS', 'timestamp_micros is in the future');
    else if (micros < now * 1000 - WINDOW_MICROS) fail('timestamp_micros', 'VALUE_OUT_OF_BOUNDS', 'timestamp_micros is more than 72 hours in the past');
  }
  if ('consent' in body) {
    const consent = body.consent;
    if (!consent || typeof consent != 'object') fail('consent', 'VALUE_INVALID', 'consent is not an object');
    else
      for (const [key, value] of Object.entries(consent)) {
        if (key != 'ad_user_data' && key != 'ad_personalization') fail(`consent.${key}`, 'NAME_INVALID', `unknown consent field ${key}`);
        else if (!CONSENT.has(value)) fail(`consent.${key}`, 'VALUE_INVALID', `${key} must be GRANTED or DENIED`);
      }
  }
  const events = body.events;
  if (!Array.isArray(events) || !events.length) return fail('events', 'VALUE_REQUIRED', 'events is required'), messages;
  if (events.length > 25) fail('events', 'EXCEEDED_MAX_ENTITIES', 'at most 25 events');
  events.forEach((event, i) => {
    const at = `events[${i}]`;
    if (typeof event?.name != 'string' || !NAME.test(event.name)) return fail(`${at}.name`, 'NAME_INVALID', `event name ${JSON.stringify(event?.name)}`);
    if (RESERVED_EVENTS.has(event.name) || RESERVED_PREFIX.test(event.name)) fail(`${at}.name`, 'NAME_RESERVED', `event name ${event.name} is reserved`);
    const params = event.params ?? {};
    if (typeof params != 'object' || Array.isArray(params)) return fail(`${at}.params`, 'VALUE_INVALID', 'params is not an object');
    if (Object.keys(params).length > 25) fail(`${at}.params`, 'EXCEEDED_MAX_ENTITIES', 'at most 25 parameters');
    for (const [name, value] of Object.entries(params)) {
      if (!NAME.test(name)) fail(`${at}.params.${name}`, 'NAME_INVALID', `parameter name ${name}`);
      else if (RESERVED_PREFIX.test(name) || name == 'firebase_conversion') fail(`${at}.params.${name}`, 'NAME_RESERVED', `parameter name ${name} is reserved`);
      if (typeof value == 'string') {
        if (value.length > 100) fail(`${at}.params.${name}`, 'VALUE_OUT_OF_BOUNDS', `parameter ${name} is longer than 100 characters`);
      } else if (typeof value != 'number' || !Number.isFinite(value)) fail(`${at}.params.${name}`, 'VALUE_INVALID', `parameter ${name} is not a string or number`);
    }
    if ('currency' in params && !/^[A-Z]{3}$/.test(params.currency)) fail(`${at}.params.currency`, 'VALUE_INVALID', 'currency is not ISO 4217');
    if ('value' in params && !('currency' in params)) fail(`${at}.params.value`, 'VALUE_REQUIRED', 'value needs a currency');
  });
  return messages;
}

/**
 * Starts the stand-in on 127.0.0.1. `stream` is the measurement id and API secret it accepts; `now` its clock (ms).
 * Returns its collect URL (the pool server's GA4_ENDPOINT), what it received, and handles to fail or hang the next
 * requests.
 */
export async function startGa4({ stream = { measurementId: 'G-TEST1234', apiSecret: 'test-api-secret' }, now = Date.now, port = 0 } = {}) {
  /** Every request to /mp/collect: its body and the validation messages it earned. */
  const received = [];
  const faults = [];
  const hanging = new Set();
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://ga4.test');
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      // For a test in another process (the end-to-end specs): what it received, and whether it is up.
      if (req.method == 'GET' && url.pathname == '/received') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
      if (req.method == 'GET' && url.pathname == '/health') return res.writeHead(200).end('ok');
      const fault = faults.shift();
      if (fault == 'hang') return hanging.add(res);
      if (fault) return res.writeHead(fault).end();
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const messages = size > MAX_BODY ? [{ fieldPath: '', validationCode: 'VALUE_OUT_OF_BOUNDS', description: 'the body is over 130,000 bytes' }] : validateGa4(body, url.searchParams, stream, now());
      if (req.method != 'POST') return res.writeHead(405).end();
      if (url.pathname == '/debug/mp/collect') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ validationMessages: messages }));
      if (url.pathname != '/mp/collect') return res.writeHead(404).end();
      received.push({ body, messages, contentType: req.headers['content-type'] });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/mp/collect`,
    stream,
    received,
    /** The bodies that passed validation: the events Google would keep. */
    accepted: () => received.filter((r) => !r.messages.length).map((r) => r.body),
    /** The next `count` requests answer `status` (a number) or never answer ('hang'). */
    fail: (count, status) => faults.push(...Array(count).fill(status)),
    stop: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

// `node test/ga4.mjs`: the stand-in on GA4_PORT for the end-to-end specs, for GA4_MEASUREMENT_ID / GA4_API_SECRET.
if (process.argv[1] == fileURLToPath(import.meta.url)) {
  const { GA4_PORT = '4175', GA4_MEASUREMENT_ID = 'G-E2ETEST1', GA4_API_SECRET = 'e2e-api-secret' } = process.env;
  const ga4 = await startGa4({ stream: { measurementId: GA4_MEASUREMENT_ID, apiSecret: GA4_API_SECRET }, port: Number(GA4_PORT) });
  console.log(`GA4 stand-in on ${ga4.url}`);
}
