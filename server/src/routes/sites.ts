// /v1/sites (operator API): the sites the config lists, with their numbers and pools, for the dashboard.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from './auth.js';

export default async function sites(fastify: FastifyInstance): Promise<void> {
  const { pool } = fastify;
  fastify.addHook('onRequest', adminOnly(fastify));
  fastify.get('/sites', async () =>
    [...pool.sites].map(([id, site]) => ({ id, numbers: Object.keys(site.numbers), pools: pool.poolsOf(id).map(({ name, size }) => ({ name, size })) })),
  );
}
