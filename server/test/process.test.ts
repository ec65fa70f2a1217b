// @vitest-environment node
// The built pool server as it runs in production (server/build/cli.js, `npm run build:server` first):
// fuzzed raw requests never end it or get a 5xx; SIGTERM finishes what is in flight and resets nothing; bad
// configs and an unreachable Redis stop it at once with one clear line; /ready follows Redis.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
// @ts-expect-error plain JS shared with the benchmarks
import { ADMIN_TOKEN, freePort, SERVER_CLI, startPoolServer, startRedis, tempDataDir } from '../../test/servers.mjs';
import { MAIN, OTHER, source, testConfig } from './fixtures';

type Started = { base: string; child: import('node:child_process').ChildProcess; output: { text: string }; stop(): void };
const dir = mkdtempSync(join(tmpdir(), 'callswap-process-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content == 'string' ? content : JSON.stringify(content));
  return path;
};
const CONFIG = file('pool.json', { ...testConfig(), rateLimit: { perIp: 1_000_000, perVisitor: 1_000_000, windowSeconds: 60 }, maxLeasesPerIp: 1_000_000 });
const LEASE = JSON.stringify({ site: 'demo', visitor: 'visitor-12345', targets: [MAIN, OTHER], source: source('paid_search'), page: '/' });
const started: Started[] = [];
afterAll(() => started.forEach((s) => s.stop()));
const start = async (env: Record<string, string> = {}): Promise<Started> => {
  const server = await startPoolServer({ CONFIG, ...env });
  started.push(server);
  return server;
};
const portOf = (base: string) => Number(new URL(base).port);

/**
 * Sends raw bytes, resolves with the status (0 without an answer) or the socket error's code. With `end` the client
 * half-closes after sending (the server may drop an answer it was still writing); without, it waits for the server
 * to close (Connection: close).
 */
const raw = (port: number, bytes: string | Buffer, timeout = 2000, end = true): Promise<number | string> =>
  new Promise((resolve) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => (end ? socket.end(bytes) : socket.write(bytes)));
    socket.setTimeout(timeout, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
  });

/** Exit code and output of a server command that is expected to stop by itself. */
const run = async (env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; output: string; ms: number }> => {
  const port = await freePort();
  return new Promise((resolve) => {
    const t = Date.now();
    const child = spawn(process.execPath, [SERVER_CLI, ...args], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: tempDataDir(), ...env }, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => (clearTimeout(kill), resolve({ code, output, ms: Date.now() - t })));
  });
};

describe('fuzzed requests', () => {
  test('deep and wide nesting, huge strings in every field, non-ASCII in every header: never a 5xx, and every number\'s voice webhook still answers TwiML', async () => {
    const port = await freePort();
    const PUBLIC = `http://127.0.0.1:${port}`;
    const server = await startPoolServer({ CONFIG, TWILIO_AUTH_TOKEN: 'fuzz-twilio-token', PUBLIC_URL: PUBLIC }, port);
    started.push(server);
    const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
    const wide = `{${Array.from({ length: 2000 }, (_, i) => `"k${i}":[${i}]`).join(',')}}`;
    const huge = `"${'x'.repeat(15_000)}"`;
    const lease = JSON.parse(LEASE);
    const bodies: string[] = [];
    // Every field of the lease and of its source in turn: nested 2,000 and 5,000 deep, 2,000 wide, 15 KB long.
    for (const value of [deep(2000, '[', ']'), deep(5000, '{"a":', '}').replace(/\{"a":\}/, '{}'), wide, huge]) {
      for (const key of ['visitor', 'targets', 'page', 'source', 'extra']) bodies.push(JSON.stringify({ ...lease, [key]: 0 }).replace(`"${key}":0`, `"${key}":${value}`));
      for (const key of ['channel', 'source', 'campaign', 'clickIds', 'referrer', 'landingPage', 'pool', 'extra']) {
        bodies.push(JSON.stringify({ ...lease, source: { ...lease.source, [key]: 0 } }).replace(`"${key}":0`, `"${key}":${value}`));
      }
    }
    const statuses: (number | string)[] = [];
    for (const body of bodies) {
      statuses.push(await raw(port, `POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 2000, false));
    }
    // Non-ASCII (UTF-8 and Latin-1 bytes) in every header the server reads, on every kind of route.
    const headers = ['Origin', 'Authorization', 'X-Twilio-Signature', 'X-Forwarded-For', 'Content-Type', 'Sec-Fetch-Site', 'Host', 'Accept', 'Cookie'];
    const odd = [Buffer.from('é€😀'), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('Bearer ' + 'ü'.repeat(40)), Buffer.from('x'.repeat(6000))];
    for (const [method, path] of [['POST', '/v1/sessions'], ['POST', '/v1/telephony/twilio/voice'], ['POST', '/v1/telephony/twilio/status'], ['GET', '/v1/calls'], ['GET', '/v1/conversions.csv?site=demo'], ['GET', '/ready'], ['GET', '/dashboard/'], ['GET', '/demo/token']]) {
      for (const name of headers) {
        for (const value of odd) {
          const body = method == 'POST' ? (path.includes('twilio') ? 'To=%2B442079460101&CallSid=CA1' : LEASE) : '';
          const head = Buffer.from(`${method} ${path} HTTP/1.1\r\n${name == 'Host' ? '' : 'Host: 127.0.0.1\r\n'}Connection: close\r\n${name == 'Content-Type' ? '' : `Content-Type: ${path.includes('twilio') ? 'application/x-www-form-urlencoded' : 'application/json'}\r\n`}Content-Length: ${Buffer.byteLength(body)}\r\n${name}: `);
          statuses.push(await raw(port, Buffer.concat([head, value, Buffer.from(`\r\n\r\n${body}`)]), 2000, false));
        }
      }
    }
    expect(statuses.filter((status) => typeof status == 'number' && status >= 500), JSON.stringify(statuses)).toEqual([]);
    // The deep and huge extra fields were dropped, not refused: those leases hold numbers now.
    expect(statuses.filter((status) => status == 201).length, JSON.stringify(statuses)).toBeGreaterThanOrEqual(6);
    expect(server.child.exitCode).toBeNull();
    // Calls still connect: every tracking number's voice webhook, correctly signed, answers TwiML that dials.
    const { twilioSign } = await import('../../test/helpers');
    const config = JSON.parse(readFileSync(CONFIG, 'utf8')) as { sites: Record<string, { numbers: Record<string, { pools: Record<string, string[]> }> }> };
    for (const site of Object.values(config.sites)) {
      for (const [target, { pools }] of Object.entries(site.numbers)) {
        for (const number of Object.values(pools).flat()) {
          const params = { CallSid: `CA${number.slice(1)}`, To: number, From: '+447700900123' };
          const url = `${PUBLIC}/v1/telephony/twilio/voice`;
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSign('fuzz-twilio-token', url, params) }, body: new URLSearchParams(params) });
          expect([res.status, await res.text()]).toEqual([200, `<Response><Dial action="${PUBLIC}/v1/telephony/twilio/dial" callerId="${number}">${target}</Dial></Response>`]);
        }
      }
    }
  }, 120_000);

  test('2,400 malformed requests over raw TCP: never a 5xx, the process lives and still leases', async () => {
    const server = await start();
    const port = portOf(server.base);
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T,>(list: T[]): T => list[Math.floor(random() * list.length)];
    const PROTO = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];
    const targets = [
      'http://[',
      '/v1/sessions',
      '/v1/sessions/%E0%A4%A/heartbeat',
      '/v1/sessions/%zz',
      '/v1/sessions/../../../etc/passwd',
      '//v1//sessions',
      '*',
      '/v1/stats?site=%E0%A4%A',
      `/v1/stats?site=${pick(PROTO)}&site=demo`,
      `/v1/sessions/${'a'.repeat(300)}/heartbeat`,
      '/v1/sessions?x=' + 'y'.repeat(9000),
      '/%00',
      '/v1/calls?limit=-1',
      '/v1/calls?limit=99999999999999999999',
      `/${pick(PROTO)}/${pick(PROTO)}`,
      'http://evil.example/v1/sessions',
      '/v1/sessions/\u00e9\u00e8/events',
      '/ready?%',
    ];
    const mutate = (): string => {
      const body = JSON.parse(LEASE);
      const kind = Math.floor(random() * 9);
      const name = pick(PROTO);
      const value = pick<unknown>([null, 1e308, -1, true, [], {}, '', 'x'.repeat(3000), name, { [name]: name }, [name]]);
      if (kind == 0) body[pick(['site', 'visitor', 'targets', 'source', 'page'])] = value;
      if (kind == 1) body.source[pick(['channel', 'source', 'clickIds', 'landingPage', 'pool'])] = value;
      if (kind == 2) body.source.clickIds = { [name]: value };
      if (kind == 3) body[name] = value;
      if (kind == 4) return JSON.stringify(body).slice(0, Math.floor(random() * LEASE.length));
      if (kind == 5) return `{"__proto__":{"admin":true},"site":"demo"}`;
      if (kind == 6) return '['.repeat(6000) + ']'.repeat(6000);
      if (kind == 7) return Buffer.from(JSON.stringify(body)).toString('latin1').replace(/"/g, '\u201c');
      body.targets = [pick([MAIN, '+0', '0201234567', name])];
      return JSON.stringify(body);
    };
    const request = (): string => {
      const method = pick(['GET', 'POST', 'POST', 'POST', 'DELETE', 'OPTIONS', 'PUT', 'PATCH', 'HEAD', 'BREW', 'G ET']);
      const target = pick([...targets, '/v1/sessions', '/v1/sessions/valid-session-id/heartbeat', '/v1/sessions/valid-session-id/events', '/v1/calls']);
      const body = method == 'GET' || method == 'HEAD' ? '' : mutate();
      const type = pick(['application/json', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data', '', 'application/json; charset=utf-16']);
      const headers = [
        'Host: 127.0.0.1',
        'Connection: close',
        type && `Content-Type: ${type}`,
        pick([`Content-Length: ${Buffer.byteLength(body)}`, `Content-Length: ${Buffer.byteLength(body)}`, 'Content-Length: -1', 'Content-Length: abc', 'Transfer-Encoding: chunked', `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Length: 3`]),
        pick(['', 'Origin: https://evil.example', 'Origin: null', `Origin: ${pick(PROTO)}`, 'Authorization: Bearer x', `Authorization: Bearer ${ADMIN_TOKEN}`, 'X-Forwarded-For: 1.2.3.4, ::1']),
      ].filter(Boolean);
      return `${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
    };
    const statuses = new Map<number | string, number>();
    const TOTAL = 2400;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (sent < TOTAL) {
          sent++;
          const status = await raw(port, request(), 1500);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const fives = [...statuses].filter(([s]) => typeof s == 'number' && s >= 500);
    expect(fives, JSON.stringify([...statuses])).toEqual([]);
    const fours = [...statuses].filter(([s]) => typeof s == 'number' && s >= 400).reduce((n, [, c]) => n + c, 0);
    expect(fours).toBeGreaterThan(TOTAL * 0.8);
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    const lease = await fetch(`${server.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LEASE });
    expect(lease.status).toBe(201);
  }, 120_000);
});

describe('nothing lost (the SQLite store)', () => {
  const post = (base: string, path: string, body: unknown, admin = false) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(admin && { authorization: `Bearer ${ADMIN_TOKEN}` }) }, body: JSON.stringify(body) });
  const visit = (i: number) => ({ ...JSON.parse(LEASE), visitor: `visitor-${i}-abcdef` });

  test.each(['SIGTERM', 'SIGKILL'] as const)('after %s and a restart on the same data: every call, the leases held, the counters', async (signal) => {
    const dataDir = tempDataDir();
    const first = await start({ DATA_DIR: dataDir });
    // Both paid_search numbers of the main line are held, and a call comes in on each.
    const leases = [];
    for (let i = 0; i < 2; i++) leases.push(await (await post(first.base, '/v1/sessions', visit(i))).json());
    const held = leases.map((l) => l.numbers[MAIN]);
    expect(new Set(held).size).toBe(2);
    for (const to of held) expect((await post(first.base, '/v1/calls', { to }, true)).status).toBe(201);
    const exited = new Promise((resolve) => first.child.on('exit', resolve));
    first.child.kill(signal);
    await exited;

    const second = await start({ DATA_DIR: dataDir });
    const calls = await (await fetch(`${second.base}/v1/calls?site=demo`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    expect(calls.map((c: { session: string }) => c.session).sort()).toEqual(leases.map((l) => l.session).sort());
    // The numbers held before are still held: a third paid visitor gets none for the main line.
    const third = await (await post(second.base, '/v1/sessions', visit(3))).json();
    expect(third.numbers[MAIN]).toBeUndefined();
    // Their leases live on, and calls to them still go to them.
    expect((await post(second.base, `/v1/sessions/${leases[0].session}/heartbeat`, { page: '/', visible: true })).status).toBe(200);
    expect((await (await post(second.base, '/v1/calls', { to: held[1] }, true)).json()).session).toBe(leases[1].session);
    const stats = await (await fetch(`${second.base}/v1/stats?site=demo`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    expect(stats.sessions.paid_search).toBe(3);
    expect(stats.calls.paid_search).toBe(3);
  }, 30_000);

  test('callswap-server backup FILE copies the data while the server writes; a server on the copy has the calls', async () => {
    const dataDir = tempDataDir();
    const server = await start({ DATA_DIR: dataDir });
    const lease = await (await post(server.base, '/v1/sessions', visit(1))).json();
    for (let i = 0; i < 20; i++) await post(server.base, '/v1/calls', { to: lease.numbers[MAIN] }, true);
    // Leases keep coming while the copy is taken.
    let going = true;
    const load = (async () => {
      for (let i = 10; going; i++) await post(server.base, '/v1/sessions', visit(i));
    })();
    const copyDir = tempDataDir();
    const backup = await run({ DATA_DIR: dataDir }, ['backup', join(copyDir, 'callswap.db')]);
    going = false;
    await load;
    expect(backup.code).toBe(0);
    expect(backup.output).toMatch(new RegExp(`callswap\\.db: a copy of ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(20 calls\\)`));
    const restored = await start({ DATA_DIR: copyDir });
    const calls = await (await fetch(`${restored.base}/v1/calls?site=demo`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    expect(calls).toHaveLength(20);
    expect(calls[0].session).toBe(lease.session);
  }, 30_000);

  test('a data file of a newer version stops the server with one line', async () => {
    const dataDir = tempDataDir();
    const { MIGRATIONS } = await import('../src/store/sqlite');
    const { createRequire } = await import('node:module');
    const Database = createRequire(import.meta.url)('libsql');
    const db = new Database(join(dataDir, 'callswap.db'));
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const result = await run({ CONFIG, DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.output.trim().split('\n')).toHaveLength(1);
    expect(result.output).toMatch(/newer than this server's/);
  });
});

describe('the command', () => {
  test('--help lists the commands and every environment variable; --version is the package version', async () => {
    const help = await run({}, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['--config FILE', 'check-config FILE', 'backup FILE', '--version']) expect(help.output).toContain(command);
    const { ENVIRONMENT } = await import('../src/env');
    for (const name of Object.keys(ENVIRONMENT)) expect(help.output).toMatch(new RegExp(`^  ${name} `, 'm'));
    const version = await run({}, ['--version']);
    expect(version.output.trim()).toBe(JSON.parse(readFileSync('server/package.json', 'utf8')).version);
  });

  test('check-config prints ok for a good file, the field and the form wanted for a bad one, and exits 1', async () => {
    const good = await run({}, ['check-config', CONFIG]);
    expect([good.code, good.output.trim()]).toEqual([0, `${CONFIG}: ok (2 sites, 7 tracking numbers)`]);
    const bad = file('typo.json', { ...testConfig(), sites: { demo: { numbers: { '+31 20 123 4567': { pools: { default: ['+31201234999'] } } } } } });
    const result = await run({}, ['check-config', bad]);
    expect(result.code).toBe(1);
    expect(result.output.trim()).toBe(`callswap-server: ${bad}: "+31 20 123 4567" (sites.demo.numbers): write site numbers as +31201234567`);
    const unknown = await run({}, ['check-config', file('unknown.json', { ...testConfig(), heartbeats: 30 })]);
    expect(unknown.output).toMatch(/unknown field "heartbeats" \(did you mean "heartbeat"\?\)/);
  });

  test('--config FILE runs the server like CONFIG=FILE; a mistyped option is named', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [SERVER_CLI, '--config', CONFIG], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: tempDataDir(), QUIET: '1', CONFIG: '' }, stdio: 'ignore' });
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0), { timeout: 10_000 }).toBe(200);
    } finally {
      child.kill('SIGKILL');
    }
    const typo = await run({}, ['--confg', CONFIG]);
    expect([typo.code, typo.output.trim()]).toEqual([1, 'callswap-server: unknown command or option "--confg": callswap-server --help lists them']);
  });

  test.each([
    [{ TRUST_PROXY: 'true' }, /TRUST_PROXY=true is not valid: the number of proxies in front of the server \(1\), or their addresses or CIDRs/],
    [{ PORT: 'eighty' }, /PORT=eighty is not valid: a port number/],
    [{ STORE: 'mongo' }, /STORE=mongo is not valid: sqlite, redis or memory/],
    [{ STORE: 'redis' }, /STORE=redis is not valid: redis needs REDIS_URL/],
    [{ LOG: 'xml' }, /LOG=xml is not valid: json or short/],
  ])('a bad environment variable (%j) stops it with one line naming it and the forms it takes', async (env, message) => {
    const result = await run({ CONFIG, ...env });
    expect(result.code).toBe(1);
    expect(result.output.trim().split('\n')).toHaveLength(1);
    expect(result.output).toMatch(message);
  });
});

describe('stopping', () => {
  test('SIGTERM finishes a request in flight, resets no queued connection, and exits 0', async () => {
    const server = await start();
    const port = portOf(server.base);
    // A lease whose body is still arriving when SIGTERM comes.
    const inFlight = new Promise<number>((resolve) => {
      let data = '';
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${LEASE.length}\r\n\r\n${LEASE.slice(0, 20)}`);
        setTimeout(() => socket.write(LEASE.slice(20)), 600);
      });
      socket.on('data', (chunk) => {
        data += String(chunk);
        if (data.includes('\r\n\r\n{')) resolve(Number(data.slice(9, 12)));
      });
      socket.on('error', () => resolve(-1));
    });
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    // A burst of new connections right after the signal: each is answered or refused, never reset.
    const burst = await Promise.all(Array.from({ length: 150 }, () => raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')));
    expect(await inFlight).toBe(201);
    const t = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - t).toBeLessThan(10_000);
    const outcomes = new Set(burst);
    expect([...outcomes].filter((o) => o != 200 && o != 503 && o != 'ECONNREFUSED'), JSON.stringify(burst)).toEqual([]);
    expect(burst.filter((o) => o == 200).length).toBeGreaterThan(0);
  }, 30_000);
});

describe('start', () => {
  test.each([
    [{ ttl: '1800' }, /bad\.json: "ttl" must be integer/],
    [{ rateLimit: { perIp: 5, windowSecond: 60 } }, /bad\.json: unknown field "rateLimit.windowSecond"/],
  ])('a config error (%j) prints one line naming the file and field and exits non-zero at once', async (extra, message) => {
    const result = await run({ CONFIG: file('bad.json', { ...testConfig(), ...extra }) });
    expect(result.code).not.toBe(0);
    expect(result.ms).toBeLessThan(10_000);
    expect(result.output.trim().split('\n')).toHaveLength(1);
    expect(result.output).toMatch(message);
  });

  test('a config that is not JSON, a missing one, and no CONFIG at all are named too', async () => {
    expect((await run({ CONFIG: file('broken.json', '{"sites": ') })).output).toMatch(/broken\.json: not valid JSON/);
    expect((await run({ CONFIG: join(dir, 'missing.json') })).output).toMatch(/missing\.json: cannot be read \(ENOENT\)/);
    const none = await run({ CONFIG: '' });
    expect(none.output).toMatch(/no config file: name it with --config FILE \(or CONFIG=FILE\)/);
    expect(none.code).toBe(1);
  });

  test('an unreachable Redis, or one that never answers, stops the server within 10 s with one line naming it', async () => {
    const closed = await run({ CONFIG, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(closed.code).toBe(1);
    expect(closed.output.trim().split('\n')).toHaveLength(1);
    expect(closed.output).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 cannot be reached/);
    const silent = createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const port = (silent.address() as { port: number }).port;
    const mute = await run({ CONFIG, REDIS_URL: `redis://127.0.0.1:${port}` });
    silent.close();
    expect(mute.code).toBe(1);
    expect(mute.ms).toBeLessThan(10_000);
    expect(mute.output).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} cannot be reached`));
  }, 30_000);

  test('without STATIC the server serves the API and no other file, demo or not', async () => {
    const production = await start({ STATIC: '' });
    expect((await fetch(`${production.base}/`)).status).toBe(404);
    expect((await fetch(`${production.base}/calls.html`)).status).toBe(404);
    expect((await fetch(`${production.base}/dist/callswap.min.js`)).status).toBe(404);
    const demo = await start({ DEMO: '1', STATIC: '' });
    expect((await fetch(`${demo.base}/`)).status).toBe(404);
    expect(demo.output.text).toMatch(/Admin token/);
  });

  test('DEMO=1 hands its token to its pages only when it listens on loopback', async () => {
    const local = await start({ DEMO: '1', ADMIN_TOKEN: '' });
    expect((await fetch(`${local.base}/demo/token`, { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
    expect(await (await fetch(`${local.base}/dashboard/`)).text()).toContain('data-demo');
    const port = await freePort();
    const open = await startPoolServer({ CONFIG, DEMO: '1', ADMIN_TOKEN: '', HOST: '0.0.0.0' }, port);
    started.push(open);
    expect((await fetch(`http://127.0.0.1:${port}/demo/token`, { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(404);
    expect(await (await fetch(`http://127.0.0.1:${port}/dashboard/`)).text()).not.toContain('data-demo');
  });
});

describe('the demo (npm start)', () => {
  test('builds only what changed (nothing here: npm test built both), prints a line per lease and per call', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['examples/site/start.mjs'], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ADMIN_TOKEN: ADMIN_TOKEN }, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      await expect.poll(() => output, { timeout: 15_000 }).toContain('callswap pool server on');
      expect(output).toContain('SDK: up to date');
      expect(output).toContain('server: up to date');
      const base = `http://127.0.0.1:${port}`;
      const lease = await (await fetch(`${base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LEASE })).json();
      await fetch(`${base}/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ to: lease.numbers[MAIN] }) });
      await expect.poll(() => output).toMatch(/\d\d:\d\d:\d\d call +demo {2}attributed to paid_search\n/);
      expect(output).toMatch(/\d\d:\d\d:\d\d lease +demo {2}paid_search: 2 numbers\n/);
      // No JSON line per request.
      expect(output).not.toContain('{"level"');
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);

  test('LOG=json gives pino JSON lines instead', async () => {
    const server = await startPoolServer({ CONFIG, DEMO: '1', QUIET: '', LOG: 'json' });
    started.push(server);
    await fetch(`${server.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LEASE });
    await expect.poll(() => server.output.text).toMatch(/\{"level":30,[^\n]*"msg":"lease"\}/);
  });
});

describe('two processes on one Redis', () => {
  test('share the rate limits: the limit per address holds across processes', async () => {
    const redis = await startRedis();
    if (!redis) return;
    const config = file('limited.json', { ...testConfig(), rateLimit: { perIp: 6, perVisitor: 1000, windowSeconds: 60 } });
    const servers = [await start({ CONFIG: config, REDIS_URL: redis.url }), await start({ CONFIG: config, REDIS_URL: redis.url })];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await fetch(`${servers[i % 2].base}/v1/nope`)).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 429, 429]);
    redis.stop();
  }, 30_000);
});

describe('Redis going away', () => {
  test('Redis flushed under load: leases answer 503 (never 201 without a number) until the pools are back, within 10 s', async () => {
    const redis = await startRedis();
    if (!redis) return;
    const numbers = Array.from({ length: 200 }, (_, i) => `+4420794${String(70000 + i)}`);
    const config = file('flush.json', { ...testConfig(), rateLimit: { perIp: 1e6, perVisitor: 1e6, windowSeconds: 60 }, maxLeasesPerIp: 1e6, sites: { demo: { numbers: { [MAIN]: { pools: { default: numbers } } } } } });
    const server = await start({ CONFIG: config, REDIS_URL: redis.url });
    const body = (i: number) => JSON.stringify({ ...JSON.parse(LEASE), targets: [MAIN], visitor: `visitor-${i}-flush` });
    const seen: { at: number; status: number; number?: string }[] = [];
    let going = true;
    let i = 0;
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (going) {
          const res = await fetch(`${server.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i++) });
          const lease = res.status == 201 ? await res.json() : undefined;
          seen.push({ at: Date.now(), status: res.status, number: lease?.numbers[MAIN] });
          if (lease) await fetch(`${server.base}/v1/sessions/${lease.session}`, { method: 'DELETE' });
          else await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const flushed = Date.now();
      await admin.flushall();
      await expect.poll(() => seen.filter((s) => s.at > flushed && s.status == 201 && s.number).length, { timeout: 10_000, interval: 50 }).toBeGreaterThan(10);
      const back = seen.find((s) => s.at > flushed && s.status == 201)!.at;
      going = false;
      await load;
      expect(back - flushed).toBeLessThan(10_000);
      expect(seen.filter((s) => s.status == 201 && !s.number)).toEqual([]);
      expect(seen.filter((s) => s.status >= 500 && s.status != 503)).toEqual([]);
      expect((await fetch(`${server.base}/ready`)).status).toBe(200);
      // The pools are whole again: 50 visitors at once get 50 different numbers.
      const leases = await Promise.all(Array.from({ length: 50 }, (_, j) => fetch(`${server.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(10_000 + j) }).then((r) => r.json())));
      expect(new Set(leases.map((l) => l.numbers[MAIN])).size).toBe(50);
    } finally {
      going = false;
      admin.disconnect();
      redis.stop();
    }
  }, 30_000);

  test('Redis empty after a restart: /ready answers 503 until the pools are written again (every 5 s at most)', async () => {
    const redis = await startRedis();
    if (!redis) return;
    const server = await start({ REDIS_URL: redis.url });
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    try {
      await admin.flushall();
      // No request leases meanwhile: the periodic check alone brings the pools back.
      expect((await fetch(`${server.base}/ready`)).status).toBe(503);
      await expect.poll(async () => (await fetch(`${server.base}/ready`)).status, { timeout: 10_000, interval: 200 }).toBe(200);
      expect(await admin.exists('callswap:pools')).toBe(1);
    } finally {
      admin.disconnect();
      redis.stop();
    }
  }, 30_000);

  test('Redis restarted (append-only file) under load: no call lost, /ready 503 while it is down, back without a restart', async () => {
    const redis = await startRedis({ aof: true });
    if (!redis) return;
    const server = await start({ REDIS_URL: redis.url });
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` };
    const { numbers } = await (await fetch(`${server.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LEASE })).json();
    // Calls keep coming from 4 clients, 40 a second each at most; each answered 201 must be there at the end.
    const recorded: string[] = [];
    const statuses = new Map<number, number>();
    let going = true;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (going) {
          const res = await fetch(`${server.base}/v1/calls`, { method: 'POST', headers: admin, body: JSON.stringify({ to: numbers[MAIN] }) }).catch(() => undefined);
          statuses.set(res?.status ?? 0, (statuses.get(res?.status ?? 0) ?? 0) + 1);
          if (res?.status == 201) recorded.push((await res.json()).id);
          await new Promise((r) => setTimeout(r, 25));
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    await redis.shutdown();
    await expect.poll(async () => (await fetch(`${server.base}/ready`)).status, { timeout: 5000 }).toBe(503);
    const during = recorded.length;
    await new Promise((r) => setTimeout(r, 500));
    const again = await redis.restart();
    try {
      await expect.poll(async () => (await fetch(`${server.base}/ready`)).status, { timeout: 10_000 }).toBe(200);
      const resumed = recorded.length;
      await expect.poll(() => recorded.length, { timeout: 10_000 }).toBeGreaterThan(resumed + 50);
      going = false;
      await load;
      expect(statuses.get(503)).toBeGreaterThan(0);
      expect(statuses.get(500)).toBeUndefined();
      expect(during).toBeGreaterThan(20);
      expect(recorded.length).toBeLessThan(1000);
      const calls = await (await fetch(`${server.base}/v1/calls?site=demo&limit=1000`, { headers: admin })).json();
      const kept = new Set(calls.map((c: { id: string }) => c.id));
      expect(recorded.filter((id) => !kept.has(id))).toEqual([]);
      // The lease from before the restart is still there, and still attributes calls.
      expect(calls.every((c: { session?: string }) => c.session)).toBe(true);
      expect(server.child.exitCode).toBeNull();
    } finally {
      going = false;
      again?.stop();
    }
  }, 60_000);

  test('/ready answers 503 and leases 503 while /health stays 200', async () => {
    const redis = await startRedis();
    if (!redis) return;
    const server = await start({ REDIS_URL: redis.url });
    expect((await fetch(`${server.base}/ready`)).status).toBe(200);
    redis.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${server.base}/ready`)).status).toBe(503);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    const lease = await fetch(`${server.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LEASE });
    expect(lease.status).toBe(503);
    expect(lease.headers.get('retry-after')).toBe('5');
    expect(server.child.exitCode).toBeNull();
  }, 30_000);
});
