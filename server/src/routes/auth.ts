// The operator API's guard: every route of a plugin that adds this hook needs `Authorization: Bearer <ADMIN_TOKEN>`.
// Without a token configured they answer 401 to everyone. Those plugins register no CORS: browsers on other origins
// cannot read their answers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { PATTERNS } from './openapi.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compared as digests: equal lengths, and no timing hint about the secret. */
const same = (given: string, expected: Buffer | undefined): boolean => !!expected && timingSafeEqual(digest(given), expected);

/** An Authorization header's scheme (lowercase: the name is case-insensitive) and credentials. */
const credentials = (header: string | undefined): [scheme: string, value: string] => {
  const match = /^([A-Za-z]+) +(.+)$/.exec(header ?? '');
  return match ? [match[1]!.toLowerCase(), match[2]!.trim()] : ['', ''];
};

/** Whether the request carries the admin token (`Authorization: Bearer <token>`, any case of the scheme). */
const isAdmin = (fastify: FastifyInstance, header: string | undefined): boolean => {
  const [scheme, token] = credentials(header);
  return scheme == 'bearer' && same(token, fastify.adminToken ? digest(fastify.adminToken) : undefined);
};

/** An onRequest hook that answers 401 (JSON) unless the request carries the admin token. */
export function adminOnly(fastify: FastifyInstance): onRequestAsyncHookHandler {
  return async (request, reply) => {
    if (!isAdmin(fastify, request.headers.authorization)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: fastify.adminToken ? 'a valid "Authorization: Bearer <token>" header is required' : 'the operator API is off: ADMIN_TOKEN is not set' });
    }
  };
}

/**
 * The conversion files' guard: the admin token, or the site's read-only export credential (`export` in its config)
 * as HTTP Basic, which is what Google Ads' scheduled upload from an HTTPS URL sends. 401 asks for Basic.
 */
export function adminOrExport(fastify: FastifyInstance): onRequestAsyncHookHandler {
  const exports = new Map(
    Object.entries(fastify.config.sites).flatMap(([id, site]) => (site.export ? [[id, { username: site.export.username, password: digest(site.export.password) }] as const] : [])),
  );
  return async (request, reply) => {
    const header = request.headers.authorization;
    if (isAdmin(fastify, header)) return;
    const [scheme, value] = credentials(header);
    const site = (request.query as { site?: unknown }).site;
    const allowed = typeof site == 'string' ? exports.get(site) : undefined;
    if (scheme == 'basic' && allowed) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const [user, password] = colon < 0 ? ['', decoded] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
      // The user name counts only where the config names one; the password always.
      if ((allowed.username == null || allowed.username == user) && same(password, allowed.password)) return;
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Basic realm="callswap conversions", charset="UTF-8"')
      .send({ error: 'unauthorized', message: 'the site\'s export credential (HTTP Basic) or the admin token is required' });
  };
}

/** A site id in a query string. */
export const SITE = { type: 'string', pattern: PATTERNS.site };
