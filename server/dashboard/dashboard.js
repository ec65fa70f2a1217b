// The dashboard: reads /v1/sites and /v1/report with the admin token and draws them. Every value from the pool is
// written with textContent (or as chart data): nothing from the network becomes HTML.
/* global uPlot */
const TOKEN_KEY = 'callswap-admin-token';
const $ = (id) => document.getElementById(id);
const COLORS = { sessions: '#2563eb', clicks: '#d97706', calls: '#059669', held: '#7c3aed', size: '#9ca3af' };
let charts = [];

const number = new Intl.NumberFormat();
const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

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

async function api(path) {
  const res = await fetch(`/v1${path}`, { headers: { authorization: `Bearer ${await token()}` } });
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
    const td = cell(row, 'nothing yet', 'empty');
    td.colSpan = columns;
  }
  return body;
};

/** A short landing page for the table; the full URL on hover. */
const shortUrl = (url) => {
  try {
    const u = new URL(url);
    const text = u.pathname + (u.search ? '?…' : '');
    return text.length > 40 ? text.slice(0, 39) + '…' : text;
  } catch {
    return url;
  }
};

const duration = (s) => (s == null ? '' : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`);

/** A uPlot chart in `el`, as wide as its box; the element says how much it drew (for tests and screen readers). */
function chart(el, options, data) {
  el.replaceChildren();
  const plot = new uPlot({ width: Math.max(el.clientWidth, 280), height: el.clientWidth < 500 ? 200 : 260, legend: { live: false }, ...options }, data, el);
  const drawn = data.slice(1).flat().reduce((sum, v) => sum + (v || 0), 0);
  el.dataset.sum = String(drawn);
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', `${options.title || el.dataset.chart}: ${drawn} in all`);
  charts.push([plot, el]);
  return plot;
}

const time = (t) => t.map((ms) => ms / 1000);

function render(report) {
  charts.forEach(([plot]) => plot.destroy());
  charts = [];
  const { totals } = report;
  $('k-sessions').textContent = number.format(totals.sessions);
  $('k-clicks').textContent = number.format(totals.clicks);
  $('k-calls').textContent = number.format(totals.calls);
  $('k-rate').textContent = totals.sessions ? `${(totals.callsPerSession * 100).toFixed(1)} %` : '–';

  chart(
    $('chart-time'),
    {
      title: 'Sessions, clicks and calls',
      // Counts per hour (or day) as steps: each bucket's value holds over its span.
      series: [{}, ...['sessions', 'clicks', 'calls'].map((name) => ({ label: name[0].toUpperCase() + name.slice(1), stroke: COLORS[name], width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }))],
      axes: [{}, { size: 40 }],
    },
    [time(report.series.t), report.series.sessions, report.series.clicks, report.series.calls],
  );

  const channels = report.channels;
  const bars = uPlot.paths.bars({ size: [0.35, 40], align: 0 });
  chart(
    $('chart-channels'),
    {
      title: 'Per channel',
      scales: { x: { time: false, range: [-0.5, Math.max(channels.length - 0.5, 0.5)] } },
      axes: [{ values: (_, ticks) => ticks.map((i) => channels[i]?.channel.replace(/_/g, ' ') ?? ''), splits: () => channels.map((_, i) => i), rotate: 0, size: 40 }, { size: 40 }],
      series: [
        {},
        { label: 'Sessions', fill: COLORS.sessions, stroke: COLORS.sessions, paths: uPlot.paths.bars({ size: [0.35, 40], align: -1 }), points: { show: false } },
        { label: 'Calls', fill: COLORS.calls, stroke: COLORS.calls, paths: bars, points: { show: false } },
      ],
    },
    [channels.map((_, i) => i), channels.map((c) => c.sessions), channels.map((c) => c.calls)],
  );
  let body = fill('channels', channels, 5);
  for (const c of channels) {
    const row = body.insertRow();
    cell(row, c.channel.replace(/_/g, ' '));
    cell(row, number.format(c.sessions), 'num');
    cell(row, number.format(c.clicks), 'num');
    cell(row, number.format(c.calls), 'num');
    cell(row, c.sessions ? `${((c.calls / c.sessions) * 100).toFixed(1)} %` : '', 'num');
  }

  for (const id of ['campaigns', 'keywords']) {
    body = fill(id, report[id], 3);
    for (const c of report[id]) {
      const row = body.insertRow();
      cell(row, c.name);
      cell(row, number.format(c.sessions), 'num');
      cell(row, number.format(c.calls), 'num');
    }
  }

  const pools = $('pools');
  pools.replaceChildren();
  for (const p of report.pools) {
    const box = document.createElement('article');
    box.className = 'pool' + (p.exhausted ? ' short' : '');
    const h3 = document.createElement('h3');
    const shared = report.pools.filter((q) => q.name == p.name).length > 1;
    h3.textContent = p.name.replace(/_/g, ' ') + (shared ? ` · ${p.target}` : '');
    const facts = document.createElement('p');
    facts.className = 'facts';
    facts.textContent = `${p.held} of ${p.size} held or resting now · peak ${p.peak} · ${p.fullMinutes} min at full · ${p.exhausted} got none`;
    const advice = document.createElement('p');
    advice.className = 'advice';
    advice.textContent = p.advice;
    const plot = document.createElement('div');
    plot.className = 'chart small';
    plot.dataset.chart = `pool-${p.id}`;
    box.append(h3, facts, plot, advice);
    pools.append(box);
    chart(
      plot,
      {
        height: 160,
        scales: { y: { range: [0, Math.max(p.size, p.peak) + 1] } },
        series: [{}, { label: 'Held', stroke: COLORS.held, fill: 'rgba(124,58,237,.12)', width: 2, points: { show: false } }, { label: 'Size', stroke: COLORS.size, dash: [4, 4], width: 1, points: { show: false } }],
        axes: [{}, { size: 30 }],
      },
      [time(p.series.t), p.series.held, p.series.t.map(() => p.size)],
    );
  }

  body = fill('missing', report.missing, 3);
  for (const m of report.missing) {
    const row = body.insertRow();
    cell(row, m.page);
    cell(row, m.target);
    cell(row, number.format(m.count), 'num');
  }

  body = fill('calls', report.calls, 11);
  for (const c of report.calls) {
    const row = body.insertRow();
    const s = c.source || {};
    cell(row, when.format(new Date(c.at)), 'nowrap');
    cell(row, c.to, 'nowrap');
    cell(row, c.session ? s.channel?.replace(/_/g, ' ') : 'not a tracked visit');
    cell(row, s.source && `${s.source} / ${s.medium}`);
    cell(row, s.campaign);
    cell(row, s.term);
    cell(row, s.clickIds && Object.keys(s.clickIds).join(', '));
    const landing = cell(row, s.landingPage && shortUrl(s.landingPage), 'url');
    if (s.landingPage) landing.title = s.landingPage;
    cell(row, c.outcome);
    cell(row, c.location && [c.location.city, c.location.state, c.location.country].filter(Boolean).join(', '));
    cell(row, duration(c.dial?.duration ?? c.duration), 'num');
  }
}

const state = () => ({ site: $('site').value, range: new FormData($('pick')).get('range') });

/** The report shown: the export takes its site and period. */
let shown;

/** The calls of the period shown, as the pool's CSV file, saved by the browser. */
async function exportCalls() {
  if (!shown) return;
  const query = `site=${encodeURIComponent(shown.site)}&since=${new Date(shown.from).toISOString()}&until=${new Date(shown.to).toISOString()}`;
  const res = await fetch(`/v1/calls.csv?${query}`, { headers: { authorization: `Bearer ${await token()}` } });
  if (!res.ok) return void ($('status').textContent = `Could not export the calls: ${res.status}`);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await res.blob());
  link.download = `${shown.site}-calls-${new Date(shown.from).toISOString().slice(0, 10)}-${new Date(shown.to).toISOString().slice(0, 10)}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function load() {
  const { site, range } = state();
  if (!site) return;
  $('status').textContent = 'Loading…';
  try {
    render((shown = await api(`/report?site=${encodeURIComponent(site)}&range=${range}`)));
    $('status').textContent = '';
    document.body.dataset.loaded = `${site} ${range}`;
  } catch (e) {
    if (e.status == 401) return login();
    $('status').textContent = `Could not load the report: ${e.message}`;
  }
}

function login(message = '') {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

async function start() {
  try {
    const sites = await api('/sites');
    $('site').replaceChildren(
      ...sites.map((s) => {
        const option = document.createElement('option');
        option.value = option.textContent = s.id;
        return option;
      }),
    );
    $('login').hidden = true;
    $('main').hidden = false;
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
$('pick').addEventListener('change', load);
$('export').addEventListener('click', () => void exportCalls());
let resizing;
addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => charts.forEach(([plot, el]) => plot.setSize({ width: Math.max(el.clientWidth, 280), height: plot.height })), 100);
});
start();
