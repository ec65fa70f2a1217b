// Operations: /health says the process is up, /ready that it can serve (its store answers and it is not stopping).
import type { FastifyInstance } from 'fastify';

/** How long /ready waits for the store. */
const READY_TIMEOUT = 1000;

export default async function health(fastify: FastifyInstance): Promise<void> {
  const options = { config: { rateLimit: false as const } };
  fastify.get('/health', options, async () => ({ ok: true }));
  fastify.get('/ready', options, async (_, reply) => {
    if (fastify.stopping) return reply.code(503).send({ error: 'stopping' });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([fastify.store.ping(), new Promise((_, reject) => (timer = setTimeout(reject, READY_TIMEOUT)))]);
      return { ok: true };
    } catch {
      return reply.code(503).send({ error: 'unavailable', message: 'the store does not answer' });
    } finally {
      clearTimeout(timer);
    }
  });
}
