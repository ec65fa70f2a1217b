// The dashboard: reads /v1/sites and /v1/report with the admin token and draws them. Every value from the pool is
// written with textContent (or as chart data): nothing from the network becomes HTML. What is shown (site, period,
// callers' numbers) is in the address, so a view can be shared with a colleague who has the token.
/* global uPlot, libphonenumber */
const TOKEN_KEY = 'callswap-admin-token';
const $ = (id) => document.getElementById(id);
const COLORS = { sessions: '#2563eb', clicks: '#b45309', calls: '#047857', held: '#7c3aed', size: '#6b7280' };
let charts = [];
/** The sites of the config, by id. */
let sites = {};
/** The report shown: the export takes its site and period. */
let shown;

const count = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/**
 * Times as the browser's locale writes them, in the site's zone (the one its periods and conversion files use): an
 * IANA name, or a fixed offset (+0100), which Intl does not take everywhere: then the time is shifted by it and
 * written as UTC. A zone this browser does not know: UTC.
 */
const zoned = (timeZone, options, locale = undefined) => {
  const offset = /^([+-])(\d\d)(\d\d)$/.exec(timeZone);
  const utc = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' });
  if (offset) {
    const shift = (offset[1] == '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000;
    return { format: (date) => utc.format(new Date(date.getTime() + shift)) };
  }
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone });
  } catch {
    return utc;
  }
};
let formats = {};
const setZone = (timeZone) => {
  formats = {
    when: zoned(timeZone, { dateStyle: 'medium', timeStyle: 'short' }),
    day: zoned(timeZone, { dateStyle: 'medium' }),
    hour: zoned(timeZone, { hour: 'numeric', minute: '2-digit' }),
    axisDay: zoned(timeZone, { month: 'short', day: 'numeric' }),
    // yyyy-mm-dd, as a date input takes it.
    isoDay: zoned(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA'),
  };
};
setZone('UTC');

/**
 * The site's own country calling code (from its first number): numbers with it are written nationally, others
 * internationally. (The code, not the country: +44 7700 900123 is in no country's plan, but a British reader writes
 * it 07700 900123.)
 */
let callingCode;
/** A number as people of the site's country write it (020 7946 0111); other countries' with their code. */
const phone = (e164) => {
  if (!e164 || !/^\+\d+$/.test(e164) || typeof libphonenumber != 'object') return e164 ?? '';
  try {
    const parsed = libphonenumber.parsePhoneNumber(e164);
    return parsed.countryCallingCode == callingCode ? parsed.formatNational() : parsed.formatInternational();
  } catch {
    return e164;
  }
};

/** The admin token: this tab's, the demo's own (npm start hands it to its pages), or asked for. */
async function token() {
  let value = sessionStorage.getItem(TOKEN_KEY);
  if (!value && 'demo' in document.documentElement.dataset) {
    value = await fetch('/demo/token')
      .then((r) => (r.ok ? r.json() : {}))
      .then((r) => r.token || '', () => '');
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
  }
  return value;
}

/** A request to the operator API with the admin token. */
const authorized = async (path) => fetch(`/v1${path}`, { headers: { authorization: `Bearer ${await token()}` } });

async function api(path) {
  const res = await authorized(path);
  if (res.status == 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw Object.assign(new Error('unauthorized'), { status: 401 });
  }
  if (!res.ok) throw new Error(`${res.status} ${(await res.json().catch(() => ({}))).message || ''}`);
  return res.json();
}

const cell = (row, text, className) => {
  const td = row.insertCell();
  td.textContent = text == null || text === '' ? '—' : String(text);
  if (className) td.className = className;
  return td;
};

const fill = (id, rows, columns) => {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  if (!rows.length) {
    const row = body.insertRow();
    const td = cell(row, 'nothing in this period', 'empty');
    td.colSpan = columns;
  }
  return body;
};

const element = (tag, text, className) => {
  const el = document.createElement(tag);
  if (text != null) el.textContent = text;
  if (className) el.className = className;
  return el;
};

/** A landing page as its path, readable; its query on demand (a disclosure the keyboard opens too). */
const landing = (td, url) => {
  td.replaceChildren();
  let u;
  try {
    u = new URL(url);
  } catch {
    return void (td.textContent = url || '—');
  }
  let path = u.pathname;
  try {
    path = decodeURI(path);
  } catch {
    // Not valid %-escapes: shown as they are.
  }
  if (!u.search) return void (td.textContent = path);
  const details = element('details');
  details.append(element('summary', path), element('code', u.search));
  td.append(details);
};

const duration = (s) => (s == null ? '' : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`);
const channelName = (name) => (name ?? '').replace(/_/g, ' ');

/** How a value compares with the period before: "+12 % vs the period before", or what it was. */
const delta = (now, before, format = (n) => count.format(n)) => {
  if (!before && !now) return 'none before either';
  if (!before) return `none in the period before`;
  const change = (now - before) / before;
  return `${change >= 0 ? '+' : '−'}${percent.format(Math.abs(change))} vs ${format(before)} before`;
};

/** A uPlot chart in `el`, as wide as its box; the element says how much it drew (for tests and screen readers). */
function chart(el, options, data) {
  el.replaceChildren();
  const width = Math.max(el.clientWidth, 280);
  const plot = new uPlot({ width, height: width < 500 ? 200 : 260, legend: { live: false }, ...options }, data, el);
  const drawn = data.slice(1).flat().reduce((sum, v) => sum + (v || 0), 0);
  el.dataset.sum = String(drawn);
  // The tables beside each chart hold the same figures: the chart is a picture of them.
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', `${options.title || el.dataset.chart}: ${drawn} in all; the table below has the figures`);
  charts.push([plot, el]);
  return plot;
}

/** Time axis labels in the site's zone and the browser's locale: hours for a short period, days for a long one. */
const timeAxis = (hours) => ({ values: (_, ticks) => ticks.map((t) => (hours && t % 86_400 ? formats.hour : formats.axisDay).format(new Date(t * 1000))) });
const seconds = (t) => t.map((ms) => ms / 1000);

function render(report) {
  charts.forEach(([plot]) => plot.destroy());
  charts = [];
  setZone(report.timeZone);
  const { totals, previous, conversion } = report;
  const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: conversion.currency, maximumFractionDigits: 0 });
  const last = report.to - 1;
  $('period').textContent = `${formats.when.format(new Date(report.from))} – ${formats.when.format(new Date(last))} (${report.timeZone}), compared with the ${formats.day.format(new Date(previous.from))} – ${formats.day.format(new Date(previous.to - 1))} before`;
  const kpi = (id, now, before, format = (n) => count.format(n)) => {
    $(`k-${id}`).textContent = format(now);
    $(`d-${id}`).textContent = delta(now, before, format);
  };
  kpi('sessions', totals.sessions, previous.totals.sessions);
  kpi('clicks', totals.clicks, previous.totals.clicks);
  kpi('calls', totals.calls, previous.totals.calls);
  kpi('answered', totals.answered, previous.totals.answered);
  kpi('qualified', totals.qualified, previous.totals.qualified);
  kpi('value', totals.value, previous.totals.value, (n) => money.format(n));
  kpi('rate', totals.callRate, previous.totals.callRate, (n) => percent.format(n));
  $('qualified-hint').textContent = `Qualified: answered and at least ${conversion.minDuration} s; value: qualified calls times ${money.format(conversion.value)}.`;

  const hours = report.series.t.length > 1 && report.series.t[1] - report.series.t[0] <= 3_600_000;
  chart(
    $('chart-time'),
    {
      title: 'Sessions, clicks and calls',
      // Counts per hour (or day) as steps: each bucket's value holds over its span.
      series: [{}, ...['sessions', 'clicks', 'calls'].map((name) => ({ label: name[0].toUpperCase() + name.slice(1), stroke: COLORS[name], width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }))],
      axes: [timeAxis(hours), { size: 48 }],
    },
    [seconds(report.series.t), report.series.sessions, report.series.clicks, report.series.calls],
  );

  const channels = report.channels;
  chart(
    $('chart-channels'),
    {
      title: 'Per channel',
      scales: { x: { time: false, range: [-0.5, Math.max(channels.length - 0.5, 0.5)] } },
      axes: [{ values: (_, ticks) => ticks.map((i) => channelName(channels[i]?.channel)), splits: () => channels.map((_, i) => i), rotate: 0, size: 40 }, { size: 48 }],
      series: [
        {},
        { label: 'Sessions', fill: COLORS.sessions, stroke: COLORS.sessions, paths: uPlot.paths.bars({ size: [0.35, 40], align: -1 }), points: { show: false } },
        { label: 'Calls', fill: COLORS.calls, stroke: COLORS.calls, paths: uPlot.paths.bars({ size: [0.35, 40], align: 0 }), points: { show: false } },
      ],
    },
    [channels.map((_, i) => i), channels.map((c) => c.sessions), channels.map((c) => c.calls)],
  );
  /** A table's rows, one cell per column: [what it shows of a row, its class]. */
  const table = (id, rows, columns) => {
    const body = fill(id, rows, columns.length);
    for (const r of rows) {
      const row = body.insertRow();
      for (const [text, className] of columns) cell(row, text(r), className);
    }
  };
  const sessionsColumn = [(w) => count.format(w.sessions), 'num'];
  const worth = [
    [(w) => count.format(w.calls), 'num'],
    [(w) => count.format(w.answered), 'num'],
    [(w) => count.format(w.qualified), 'num'],
    [(w) => money.format(w.value), 'num'],
    [(w) => (w.sessions ? percent.format(w.callRate) : ''), 'num'],
  ];
  table('channels', channels, [[(c) => channelName(c.channel)], sessionsColumn, [(c) => count.format(c.clicks), 'num'], ...worth]);
  table('campaigns', report.campaigns, [[(c) => c.name], sessionsColumn, ...worth]);
  table('keywords', report.keywords, [[(c) => c.name], sessionsColumn, [(c) => count.format(c.calls), 'num']]);

  // Pools: one row each (the advice with the reason behind it), their charts on demand.
  let body = fill('pools', report.pools, 8);
  const plots = $('pool-plots');
  plots.replaceChildren();
  for (const p of report.pools) {
    const shared = report.pools.filter((q) => q.name == p.name).length > 1;
    const name = channelName(p.name) + (shared ? ` · ${phone(p.target)}` : '');
    const row = body.insertRow();
    if (p.exhausted) row.className = 'short';
    cell(row, name);
    cell(row, count.format(p.size), 'num');
    cell(row, count.format(p.held), 'num');
    cell(row, count.format(p.peak), 'num');
    cell(row, count.format(p.fullMinutes), 'num');
    cell(row, count.format(p.exhausted), 'num');
    cell(row, `${p.holdMinutes} min`, 'num');
    const advice = row.insertCell();
    advice.className = 'advice';
    advice.append(element('strong', p.add ? (p.exhausted ? `Add at least ${p.add}` : 'Add one') : 'Enough'), element('span', ` — ${p.reason}`, 'reason'));
    const box = element('figure', null, 'pool');
    const plot = element('div', null, 'chart small');
    plot.dataset.chart = `pool-${p.id}`;
    box.append(plot, element('figcaption', name));
    plots.append(box);
    chart(
      plot,
      {
        title: `${name}: numbers held`,
        height: 140,
        scales: { y: { range: [0, Math.max(p.size, p.peak) + 1] } },
        series: [{}, { label: 'Held', stroke: COLORS.held, fill: 'rgba(124,58,237,.12)', width: 2, points: { show: false } }, { label: 'Size', stroke: COLORS.size, dash: [4, 4], width: 1, points: { show: false } }],
        axes: [timeAxis(hours), { size: 30 }],
      },
      [seconds(p.series.t), p.series.held, p.series.t.map(() => p.size)],
    );
  }

  table('missing', report.missing, [[(m) => m.page], [(m) => phone(m.target), 'nowrap'], [(m) => count.format(m.count), 'num']]);

  body = fill('calls', report.calls, 12);
  for (const c of report.calls) {
    const row = body.insertRow();
    const s = c.source || {};
    cell(row, formats.when.format(new Date(c.at)), 'nowrap');
    cell(row, phone(c.to), 'nowrap');
    const caller = cell(row, c.from ? phone(c.from) : 'withheld', 'nowrap');
    if (c.repeat != null) caller.append(element('span', c.repeat ? 'repeat' : 'first time', `tag ${c.repeat ? 'repeat' : 'first'}`));
    cell(row, c.location && [c.location.city, c.location.state, c.location.country].filter(Boolean).join(', '));
    cell(row, c.outcome, `outcome ${c.outcome}`);
    cell(row, duration(c.outcome == 'answered' ? (c.dial?.duration ?? c.duration) : undefined), 'num');
    cell(row, c.session ? channelName(s.channel) : 'not a tracked visit');
    cell(row, s.source && `${s.source} / ${s.medium}`);
    cell(row, s.campaign);
    cell(row, s.term);
    landing(row.insertCell(), s.landingPage);
    const sent = [c.exported?.google_ads && 'Google Ads file', c.exported?.microsoft_ads && 'Microsoft Ads file', c.ga4 && `GA4 ${c.ga4.state}`].filter(Boolean);
    cell(row, sent.join(', '));
  }
}

/** What the controls ask for, and the address that keeps it. */
const wanted = () => {
  const range = $('range').value;
  const query = new URLSearchParams({ site: $('site').value });
  if (range == 'custom') {
    query.set('from', $('from').value);
    query.set('to', $('to').value);
  } else query.set('range', range);
  if ($('callers').checked) query.set('callers', '1');
  return query;
};

/** The controls as the address says (a shared link, or back and forward). */
function fromAddress() {
  const query = new URLSearchParams(location.search);
  if (sites[query.get('site')]) $('site').value = query.get('site');
  const custom = query.has('from');
  // The presets are the period menu's own options (besides "custom").
  const presets = [...$('range').options].map((option) => option.value).filter((value) => value != 'custom');
  $('range').value = custom ? 'custom' : presets.includes(query.get('range')) ? query.get('range') : '24h';
  if (custom) {
    $('from').value = query.get('from');
    $('to').value = query.get('to') || query.get('from');
  }
  $('callers').checked = query.get('callers') == '1';
  $('days').hidden = !custom;
}

async function load(push = false) {
  const query = wanted();
  const site = query.get('site');
  if (!site) return;
  if (query.has('from') && (!query.get('from') || !query.get('to'))) return;
  if (push && `?${query}` != location.search) history.pushState(null, '', `?${query}`);
  callingCode = undefined;
  try {
    callingCode = libphonenumber.parsePhoneNumber(sites[site].numbers[0]).countryCallingCode;
  } catch {
    // No formatting library or no number: numbers stay in E.164.
  }
  $('status').textContent = 'Loading…';
  document.body.setAttribute('aria-busy', 'true');
  try {
    render((shown = await api(`/report?${query}`)));
    $('status').textContent = '';
    document.body.dataset.loaded = `${site} ${query.get('range') || `${query.get('from')}..${query.get('to')}`}`;
  } catch (e) {
    if (e.status == 401) return login();
    $('status').textContent = `Could not load the report: ${e.message}`;
  } finally {
    document.body.removeAttribute('aria-busy');
  }
}

/** The calls of the period shown, as the pool's CSV file, saved by the browser. */
async function exportCalls() {
  if (!shown) return;
  const query = `site=${encodeURIComponent(shown.site)}&since=${new Date(shown.from).toISOString()}&until=${new Date(shown.to).toISOString()}`;
  const res = await authorized(`/calls.csv?${query}`);
  if (!res.ok) return void ($('status').textContent = `Could not export the calls: ${res.status}`);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await res.blob());
  link.download = `${shown.site}-calls-${new Date(shown.from).toISOString().slice(0, 10)}-${new Date(shown.to - 1).toISOString().slice(0, 10)}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function login(message = '') {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token').focus();
}

async function start() {
  try {
    const list = await api('/sites');
    sites = Object.fromEntries(list.map((s) => [s.id, s]));
    $('site').replaceChildren(...list.map((s) => Object.assign(document.createElement('option'), { value: s.id, textContent: s.id })));
    $('login').hidden = true;
    $('main').hidden = false;
    fromAddress();
    await load();
  } catch (e) {
    login(e.status == 401 ? '' : `The pool does not answer: ${e.message}`);
  }
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  start();
});
$('range').addEventListener('change', () => {
  const custom = $('range').value == 'custom';
  $('days').hidden = !custom;
  if (!custom) return void load(true);
  // Chosen days start as the period shown, to be changed.
  if (shown && !$('from').value) {
    $('from').value = formats.isoDay.format(new Date(shown.from));
    $('to').value = formats.isoDay.format(new Date(shown.to - 1));
  }
  $('from').focus();
});
$('site').addEventListener('change', () => void load(true));
$('callers').addEventListener('change', () => void load(true));
$('pick').addEventListener('submit', (event) => {
  event.preventDefault();
  void load(true);
});
$('export').addEventListener('click', () => void exportCalls());
$('pool-charts').addEventListener('toggle', () => resize());
addEventListener('popstate', () => {
  fromAddress();
  void load();
});
const resize = () => charts.forEach(([plot, el]) => el.clientWidth && plot.setSize({ width: Math.max(el.clientWidth, 280), height: plot.height }));
let resizing;
addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(resize, 100);
});
start();
