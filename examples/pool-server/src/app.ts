// The reference pool server's HTTP side: the protocol of openapi.json (requests are validated against it), CORS,
// rate limits, structured logs, and static files for the demo.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { PoolConfig } from './config.js';
import type { Session, Store } from './store.js';

export interface AppOptions {
  config: PoolConfig;
  store: Store;
  /** Path prefix of the API. Default `/v1`. */
  api?: string;
  /** URL prefix → directory, for GET requests outside the API (the demo site, dist/). */
  statics?: [prefix: string, dir: string][];
  /** Where a JSON log line per request goes; none when undefined. */
  log?: (line: string) => void;
  /** The clock (tests move it). */
  now?: () => number;
}

const MAX_BODY = 16_384;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const openapi = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: false });
ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)));
ajv.addSchema({ ...openapi, $id: 'openapi' });
const schema = (name: string) => ajv.getSchema(`openapi#/components/schemas/${name}`)!;

/** An answer the handlers give: status, JSON body, headers. */
class Answer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}
const error = (status: number, code: string, message?: string, headers?: Record<string, string>) =>
  new Answer(status, message ? { error: code, message } : { error: code }, headers);

/** Fixed-window counters per key, for per-IP and per-visitor limits. */
const createLimiter = (limit: number, windowMs: number, now: () => number) => {
  const windows = new Map<string, { count: number; reset: number }>();
  return (key: string): number => {
    const t = now();
    let w = windows.get(key);
    if (!w || w.reset <= t) {
      if (windows.size > 50_000) for (const [k, v] of windows) if (v.reset <= t) windows.delete(k);
      windows.set(key, (w = { count: 0, reset: t + windowMs }));
    }
    // Seconds to wait when over the limit, 0 when allowed.
    return ++w.count > limit ? Math.ceil((w.reset - t) / 1000) : 0;
  };
};

export function createApp({ config, store, api = '/v1', statics = [], log, now = Date.now }: AppOptions) {
  const window = config.rateLimit.windowSeconds * 1000;
  const perIp = createLimiter(config.rateLimit.perIp, window, now);
  const perVisitor = createLimiter(config.rateLimit.perVisitor, window, now);
  const newId = () => randomBytes(16).toString('base64url');

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
        // Drained so the client gets its 400; only an absurd upload loses the connection.
        else if (size > 64 * MAX_BODY) req.destroy();
      });
      req.on('end', () =>
        size > MAX_BODY ? reject(error(400, 'too_large', `bodies are limited to ${MAX_BODY} bytes`)) : resolve(Buffer.concat(chunks).toString('utf8')),
      );
      req.on('error', reject);
    });

  /** The body as JSON, checked against a protocol schema. */
  const bodyOf = async <T>(req: IncomingMessage, name: string): Promise<T> => {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      throw e instanceof Answer ? e : error(400, 'bad_json', 'the body is not JSON');
    }
    const validate = schema(name);
    if (!validate(body)) throw error(400, 'invalid', `${name}: ${ajv.errorsText(validate.errors)}`);
    return body as T;
  };

  const limited = (...keys: [check: (key: string) => number, key: string][]) => {
    for (const [check, key] of keys) {
      const wait = check(key);
      if (wait) throw error(429, 'rate_limited', 'too many requests', { 'retry-after': String(wait) });
    }
  };

  const pools = (site: string) => config.sites[site]!.numbers;

  const lease = async (req: IncomingMessage, ip: string) => {
    const body = await bodyOf<{ site: string; visitor: string | null; targets: string[]; source: Session['source'] }>(req, 'LeaseRequest');
    if (!config.sites[body.site]) return error(404, 'unknown_site', `no site "${body.site}"`);
    limited([perIp, ip], ...(body.visitor ? [[perVisitor, body.visitor] as [typeof perVisitor, string]] : []));
    const t = now();
    const picks = body.targets
      .filter((target) => pools(body.site)[target])
      .map((target) => {
        const byName = pools(body.site)[target]!.pools;
        const pool = (body.source.pool as string | undefined) ?? '';
        return { target, candidates: byName[pool] ?? byName[body.source.channel] ?? byName.default ?? [] };
      });
    const session: Session = { id: newId(), site: body.site, visitor: body.visitor, source: body.source, numbers: {}, created: t, lastBeat: t, ttl: config.ttl * 1000 };
    const leased = await store.lease(session, picks, config.quarantine * 1000);
    return new Answer(201, { session: leased.id, numbers: leased.numbers, ttl: config.ttl, heartbeat: config.heartbeat });
  };

  const heartbeat = async (req: IncomingMessage, id: string, ip: string) => {
    await bodyOf(req, 'HeartbeatRequest');
    limited([perIp, ip]);
    const result = await store.heartbeat(id, now());
    if (result == 'unknown') return error(404, 'unknown_session');
    if (result == 'gone') return error(410, 'gone', 'the lease expired');
    return new Answer(200, { ttl: config.ttl });
  };

  const event = async (req: IncomingMessage, id: string, ip: string) => {
    const body = await bodyOf<{ type: string; page: string; targets?: string[]; name?: string; value?: number }>(req, 'Event');
    limited([perIp, ip]);
    const session = await store.getSession(id);
    if (!session) return error(404, 'unknown_session');
    if (body.type == 'missing_target' && body.targets) {
      const known = body.targets.filter((t) => pools(session.site)[t]);
      if (known.length) await store.addMissing(session.site, body.page, known);
    }
    if (body.type == 'vitals' && body.name && typeof body.value == 'number') await store.addVital(session.site, body.name, body.value);
    return new Answer(204);
  };

  const call = async (req: IncomingMessage) => {
    const body = await bodyOf<{ to: string; from?: string; at?: string }>(req, 'CallRequest');
    const at = body.at ? Date.parse(body.at) : now();
    const holder = await store.holderAt(body.to, at);
    const record = {
      id: newId(),
      to: body.to,
      ...(body.from && { from: body.from }),
      at: new Date(at).toISOString(),
      ...(holder && { site: holder.session.site, target: holder.target, session: holder.session.id, source: holder.session.source }),
    };
    await store.addCall(record);
    return new Answer(201, record);
  };

  const stats = async (site: string | null) => {
    if (!site || !config.sites[site]) return error(404, 'unknown_site');
    const all = Object.values(pools(site)).flatMap(({ pools: byName }) => Object.values(byName).flat());
    const found = await store.stats(site, all, now());
    const byPool: Record<string, { size: number; held: number }> = {};
    for (const { pools: byName } of Object.values(pools(site))) {
      for (const [name, list] of Object.entries(byName)) {
        const entry = (byPool[name] ||= { size: 0, held: 0 });
        entry.size += list.length;
        entry.held += list.filter((n) => found.held.includes(n)).length;
      }
    }
    return new Answer(200, { site, sessions: found.sessions, pools: byPool, exhausted: found.exhausted, missingTargets: found.missingTargets, vitals: found.vitals });
  };

  const serveStatic = async (path: string, res: ServerResponse): Promise<boolean> => {
    for (const [prefix, dir] of statics) {
      if (!path.startsWith(prefix)) continue;
      // Only files inside `dir`: "../" and encoded variants cannot climb out.
      const base = resolve(dir);
      const file = resolve(base, '.' + sep + decodeURIComponent(path.slice(prefix.length)));
      if (!file.startsWith(base + sep) && file != base) continue;
      try {
        const target = (await stat(file)).isDirectory() ? join(file, 'index.html') : file;
        const body = await readFile(target);
        res.writeHead(200, { 'content-type': TYPES[extname(target)] || 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(body);
        return true;
      } catch {
        // Not in this directory: try the next.
      }
    }
    return false;
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url || '/', 'http://localhost');
    const origin = req.headers.origin;
    const ip = req.socket.remoteAddress || '';
    const cors: Record<string, string> =
      origin && (config.allowedOrigins.includes('*') || config.allowedOrigins.includes(origin))
        ? { 'access-control-allow-origin': origin, vary: 'origin' }
        : {};
    let status = 500;
    try {
      let answer: Answer | undefined;
      const path = url.pathname;
      const route = path.startsWith(api + '/') ? path.slice(api.length) : undefined;
      const session = route?.match(/^\/sessions\/([\w-]{8,128})\/(heartbeat|events)$/);
      if (req.method == 'OPTIONS') {
        answer = new Answer(204, undefined, { 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
      } else if (req.method == 'POST' && route == '/sessions') answer = await lease(req, ip);
      else if (req.method == 'POST' && session?.[2] == 'heartbeat') answer = await heartbeat(req, session[1]!, ip);
      else if (req.method == 'POST' && session?.[2] == 'events') answer = await event(req, session[1]!, ip);
      else if (req.method == 'POST' && route == '/calls') answer = await call(req);
      else if (req.method == 'GET' && route == '/calls') answer = new Answer(200, await store.listCalls(200));
      else if (req.method == 'GET' && route == '/stats') answer = await stats(url.searchParams.get('site'));
      else if (req.method == 'GET' && path == '/health') answer = new Answer(200, { ok: true });
      else if (path == '/favicon.ico') answer = new Answer(204);
      else if (req.method == 'GET' && !route && (await serveStatic(path, res))) status = 200;
      else answer = error(404, 'not_found');
      if (answer) {
        status = answer.status;
        const body = answer.body === undefined ? undefined : JSON.stringify(answer.body);
        res.writeHead(status, { ...cors, ...answer.headers, ...(body && { 'content-type': 'application/json' }) });
        res.end(body);
      }
    } catch (e) {
      // Validation and limits come as answers; anything else is ours, and no stack trace leaves the server.
      const answer = e instanceof Answer ? e : error(500, 'internal');
      status = answer.status;
      if (!res.headersSent) res.writeHead(status, { ...cors, ...answer.headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
      if (!(e instanceof Answer)) log?.(JSON.stringify({ level: 'error', msg: String((e as Error)?.message ?? e), path: url.pathname }));
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log?.(JSON.stringify({ t: new Date().toISOString(), level: 'info', method: req.method, path: url.pathname, status, ms: Math.round(ms * 10) / 10 }));
    }
  };
}
