// callswap's Google Tag Manager template: the sandboxed JavaScript (render.mjs puts it in dist/gtm/template.tpl).
// It creates the queue stub, queues `init` with the tag's settings, forwards consent, and injects the script tag
// bundle from a pinned CDN URL, or from the site's own copy (Script URL): the calls queued here run in order once it
// has loaded.
const createArgumentsQueue = require('createArgumentsQueue');
const injectScript = require('injectScript');
const isConsentGranted = require('isConsentGranted');
const addConsentListener = require('addConsentListener');
const makeTableMap = require('makeTableMap');
const getType = require('getType');
const JSON = require('JSON');
const log = require('logToConsole');

const SCRIPT_URL = 'https://cdn.jsdelivr.net/npm/callswap@0.1.0/dist/callswap.min.js';

const callswap = createArgumentsQueue('callswap', 'callswap.q');

const config = {
  site: data.site,
  numbers: (data.numbers || []).map((row) => row.number),
  requireConsent: data.requireConsent === true,
  debug: data.debug === true,
};
if (data.endpoint) config.endpoint = data.endpoint;
if (data.country) config.country = data.country;
if (data.staticNumbers && data.staticNumbers.length) config.static = makeTableMap(data.staticNumbers, 'channel', 'number');

let valid = true;
if (data.rules) {
  const rules = JSON.parse(data.rules);
  if (getType(rules) === 'array') config.rules = rules;
  else {
    log('callswap: "Rules" is not a JSON array of rules');
    valid = false;
  }
}

if (!valid) {
  data.gtmOnFailure();
} else {
  callswap('init', config);
  if (config.requireConsent) {
    // Storage consent from Google Consent Mode: ad_storage, and analytics_storage too when the tag asks for it. Said
    // as ad_storage alone: callswap reads the other signals from the dataLayer's consent commands itself (the string
    // 'granted' would grant all four).
    const types = data.analyticsConsent ? ['ad_storage', 'analytics_storage'] : ['ad_storage'];
    const state = () => ({ ad_storage: types.every((type) => isConsentGranted(type)) ? 'granted' : 'denied' });
    callswap('consent', state());
    types.forEach((type) => addConsentListener(type, () => callswap('consent', state())));
  }
  injectScript(data.scriptUrl || SCRIPT_URL, data.gtmOnSuccess, data.gtmOnFailure, 'callswap');
}
