// The two packages as a user gets them: `npm pack` of the SDK and of the server, installed from the tarballs in an
// empty folder with --omit=dev, and the server guide's commands (server/README.md) run there, each checked to be in
// the guide word for word. Then what the guide's deploy files promise: nginx with TLS in front (deploy/nginx.conf,
// parsed and run), the systemd unit's command line with its environment, and a visit in Chromium that leases a
// number through the packed SDK from the packed server.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from '../bench/browser.mjs';
import { freePort } from '../servers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const guide = readFileSync(join(root, 'server/README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'callswap-pack-'));
const app = join(work, 'opt-callswap');
const ADMIN_TOKEN = 'pack-test-admin-token-0123456789';
const children = [];
after(() => children.forEach((child) => child.kill('SIGKILL')));

/** Runs a command of the guide (which must be in it as written) in `cwd`; `as` is what actually runs, if other. */
const sh = (command, { cwd = app, as = command, env = {} } = {}) => {
  assert.ok(guide.includes(command), `the guide says: ${command}`);
  const result = spawnSync('bash', ['-c', as], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
};

/** Starts a long-running command; resolves once `url` answers 200. */
const serve = async (command, args, { cwd, env }, url) => {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  for (let i = 0; i < 200 && child.exitCode == null; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return { child, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${command} ${args.join(' ')} did not start: ${output}`);
};

let tarballs;
before(() => {
  mkdirSync(app);
  // prepack builds each package, as on a fresh clone.
  const packed = (args) => {
    // The build's own lines come first on stdout; npm's JSON is the array at the end.
    const output = execFileSync('npm', ['pack', '--json', '--pack-destination', work, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(output.slice(output.search(/^\[/m)))[0];
  };
  tarballs = { sdk: packed([]), server: packed(['-w', 'callswap-server']) };
});

test('each tarball holds what its package ships, and nothing of the other', () => {
  const files = (pack) => pack.files.map((f) => f.path);
  const sdk = files(tarballs.sdk);
  for (const file of ['dist/callswap.min.js', 'dist/callswap-debug.js', 'dist/index.js', 'dist/index.d.ts', 'dist/gtm/template.tpl']) assert.ok(sdk.includes(file), file);
  assert.deepEqual(sdk.filter((f) => !/^(dist\/|package\.json|README\.md|LICENSE)/.test(f)), []);
  const server = files(tarballs.server);
  for (const file of ['build/cli.js', 'build/app.js', 'lua/lease.lua', 'dashboard/index.html', 'deploy/nginx.conf', 'deploy/callswap-server.service', 'openapi.json', 'config.example.json', 'config.schema.json', 'README.md']) {
    assert.ok(server.includes(file), file);
  }
  assert.deepEqual(server.filter((f) => /^(src|test|scripts)\//.test(f)), []);
  const manifest = JSON.parse(readFileSync(join(root, 'server/package.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.dependencies).filter((d) => /vitest|playwright|typescript|rollup/.test(d)), []);
});

test('installed from the tarballs in an empty folder with --omit=dev: no engine warning, no install script', () => {
  assert.equal(sh('npm init -y').code, 0);
  const install = sh('npm install --omit=dev callswap-server', {
    as: `npm install --omit=dev --no-audit --no-fund ${join(work, tarballs.server.filename)} ${join(work, tarballs.sdk.filename)}`,
  });
  assert.equal(install.code, 0, install.output);
  assert.doesNotMatch(install.output, /EBADENGINE|install-scripts|gyp/, install.output);
  assert.ok(readdirSync(join(app, 'node_modules/.bin')).includes('callswap-server'));
});

test('the guide: config from the example, check-config, the server, /ready, a backup', async () => {
  assert.equal(sh('cp node_modules/callswap-server/config.example.json pool.json').code, 0);
  const check = sh('npx callswap-server check-config pool.json');
  assert.deepEqual([check.code, check.output.trim()], [0, 'pool.json: ok (1 site, 8 tracking numbers)']);
  assert.ok(guide.includes('`check-config` prints `pool.json: ok (1 site, 8 tracking numbers)`'));

  // The webmaster's site: the packed SDK and a page, on an origin the config lists.
  const sitePort = await freePort();
  const site = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path == '/callswap.min.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(app, 'node_modules/callswap/dist/callswap.min.js')));
    res.writeHead(200, { 'content-type': 'text/html' }).end(
      `<!doctype html><script async blocking="render" src="/callswap.min.js" data-site="my-site" data-endpoint="http://127.0.0.1:${poolPort}/v1" data-numbers="+31 20 123 4567"></script><p id="n">Bel ons: 020 123 4567</p>`,
    );
  }).listen(sitePort, '127.0.0.1');
  after(() => site.close());
  const config = JSON.parse(readFileSync(join(app, 'pool.json'), 'utf8'));
  config.sites['my-site'].allowedOrigins = [`http://127.0.0.1:${sitePort}`];
  writeFileSync(join(app, 'pool.json'), JSON.stringify(config, null, 2));

  const command = 'ADMIN_TOKEN=$(openssl rand -hex 24) PORT=8080 HOST=127.0.0.1 npx callswap-server --config pool.json';
  assert.ok(guide.includes(command));
  const poolPort = await freePort();
  // npx resolves the package's bin, node_modules/.bin/callswap-server: run it directly, so SIGTERM reaches the server.
  const server = await serve(join(app, 'node_modules/.bin/callswap-server'), ['--config', 'pool.json'], { cwd: app, env: { ADMIN_TOKEN, PORT: String(poolPort), HOST: '127.0.0.1', QUIET: '1' } }, `http://127.0.0.1:${poolPort}/health`);
  assert.ok(guide.includes('curl http://127.0.0.1:8080/ready'));
  assert.equal((await fetch(`http://127.0.0.1:${poolPort}/ready`)).status, 200);

  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${sitePort}/?utm_source=google&utm_medium=cpc`);
    await page.waitForFunction(() => /020 123 000\d/.test(document.getElementById('n').textContent), null, { timeout: 10_000 });
    const text = await page.textContent('#n');
    assert.match(text, /^Bel ons: 020 123 000[1-4]$/);
    const tracking = '+31201230' + text.slice(-3);
    // A call to it is attributed to the visit.
    const call = await fetch(`http://127.0.0.1:${poolPort}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ to: tracking }),
    }).then((r) => r.json());
    assert.equal(call.source.channel, 'paid_search');
  } finally {
    await browser.close();
  }

  const backup = sh('npx callswap-server backup /var/backups/callswap.db', { as: 'npx callswap-server backup backup.db' });
  assert.equal(backup.code, 0, backup.output);
  assert.match(backup.output, new RegExp(`backup\\.db: a copy of ${join(app, 'data')} \\(1 call\\)`));
  server.child.kill('SIGTERM');
  assert.equal(await new Promise((resolve) => server.child.on('exit', resolve)), 0);
});

test('deploy/callswap-server.service: its command line with its environment runs the server, and SIGTERM stops it cleanly', async () => {
  const unit = readFileSync(join(app, 'node_modules/callswap-server/deploy/callswap-server.service'), 'utf8');
  const value = (key) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);
  const dataDir = join(work, 'var-lib-callswap');
  mkdirSync(dataDir);
  // The unit's paths, moved into this test's folder.
  const here = (text) => text.replace('/opt/callswap', app).replace('/etc/callswap/pool.json', join(app, 'pool.json')).replace('/var/lib/callswap', dataDir);
  const env = Object.fromEntries(value('Environment').map((pair) => here(pair).split(/=(.*)/s).slice(0, 2)));
  assert.deepEqual(Object.keys(env).sort(), ['DATA_DIR', 'HOST', 'PORT', 'PUBLIC_URL', 'TRUST_PROXY']);
  assert.deepEqual(value('ReadWritePaths'), ['/var/lib/callswap']);
  assert.equal(value('KillSignal')[0], 'SIGTERM');
  const [command, ...args] = here(value('ExecStart')[0]).split(' ');
  const port = await freePort();
  const server = await serve(command, args, { cwd: here(value('WorkingDirectory')[0]), env: { ...env, PORT: String(port), ADMIN_TOKEN, QUIET: '1' } }, `http://127.0.0.1:${port}/ready`);
  assert.ok(readdirSync(dataDir).includes('callswap.db'));
  server.child.kill('SIGTERM');
  assert.equal(await new Promise((resolve) => server.child.on('exit', resolve)), 0);
});

test('deploy/nginx.conf: nginx parses it and, with TLS in front, leases pass and X-Forwarded-For cannot be forged', { skip: !process.env.CI && spawnSync('nginx', ['-v']).error ? 'nginx is not installed (.ci/run installs it)' : false }, async () => {
  const dir = join(work, 'nginx');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pool.example.com', '-addext', 'subjectAltName=DNS:pool.example.com', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const [poolPort, tlsPort] = [await freePort(), await freePort()];
  const block = readFileSync(join(app, 'node_modules/callswap-server/deploy/nginx.conf'), 'utf8')
    .replace(/listen 443 ssl;/, `listen 127.0.0.1:${tlsPort} ssl;`)
    .replace(/^\s*listen \[::\]:443 ssl;\n/m, '')
    .replace(/\/etc\/letsencrypt\/live\/pool\.example\.com\/fullchain\.pem/, join(dir, 'cert.pem'))
    .replace(/\/etc\/letsencrypt\/live\/pool\.example\.com\/privkey\.pem/, join(dir, 'key.pem'))
    .replace('127.0.0.1:8080', `127.0.0.1:${poolPort}`);
  writeFileSync(join(dir, 'callswap.conf'), block);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; master_process off; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log;
events {}
http { access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi; include ${dir}/callswap.conf; }\n`,
  );
  const parsed = spawnSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(parsed.status, 0, parsed.stderr);

  // The server as the guide runs it behind nginx; at most 3 live leases per address, to see whose address counts.
  const config = JSON.parse(readFileSync(join(app, 'pool.json'), 'utf8'));
  writeFileSync(join(app, 'pool-tls.json'), JSON.stringify({ ...config, maxLeasesPerIp: 3 }));
  await serve(join(app, 'node_modules/.bin/callswap-server'), ['--config', 'pool-tls.json'], { cwd: app, env: { ADMIN_TOKEN, PORT: String(poolPort), HOST: '127.0.0.1', DATA_DIR: join(work, 'tls-data'), TRUST_PROXY: '127.0.0.1', PUBLIC_URL: 'https://pool.example.com', QUIET: '1' } }, `http://127.0.0.1:${poolPort}/health`);
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  children.push(nginx);
  const ca = readFileSync(join(dir, 'cert.pem'));
  const https = (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: tlsPort, servername: 'pool.example.com', ca, method, path, headers: { host: 'pool.example.com', 'content-type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end(body && JSON.stringify(body));
    });
  for (let i = 0; i < 50 && (await https('GET', '/ready').catch(() => ({ status: 0 }))).status != 200; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await https('GET', '/ready')).status, 200);
  const lease = (i) =>
    https('POST', '/v1/sessions', { site: 'my-site', visitor: `visitor-${i}-abcdef`, targets: ['+31201234567'], source: { channel: 'paid_search', source: 'google', medium: 'cpc', clickIds: {}, referrer: '', landingPage: 'https://www.example.com/' }, page: '/' }, {
      // A client choosing its address: nginx replaces the header with the address it sees.
      'x-forwarded-for': `198.51.100.${i}`,
      origin: 'https://pool.example.com',
    });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await lease(i)).status);
  assert.deepEqual(statuses, [201, 201, 201, 429]);
});
