// The operator API's guard: every route of a plugin that adds this hook needs `Authorization: Bearer <ADMIN_TOKEN>`.
// Without a token configured they answer 401 to everyone. Those plugins register no CORS: browsers on other origins
// cannot read their answers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** An onRequest hook that answers 401 (JSON) unless the request carries the admin token. */
export function adminOnly(fastify: FastifyInstance): onRequestAsyncHookHandler {
  const expected = fastify.adminToken ? digest(`Bearer ${fastify.adminToken}`) : undefined;
  return async (request, reply) => {
    // Compared as digests: equal lengths, and no timing hint about the token.
    if (!expected || !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: expected ? 'a valid "Authorization: Bearer <token>" header is required' : 'the operator API is off: ADMIN_TOKEN is not set' });
    }
  };
}

/** A site id in a query string. */
export const SITE = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}$' };
