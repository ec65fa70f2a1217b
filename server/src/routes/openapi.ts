// Route schemas come from openapi.json, so validation, serialization and the protocol document never drift.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));

/** A reference to one of openapi.json's component schemas, as a route schema. */
export const ref = (name: string) => ({ $ref: `${name}#` });

/** The `Error` answer to a site id the config does not list, in the public and the operator API alike. */
export const unknownSite = (reply: FastifyReply, site: string) => reply.code(404).send({ error: 'unknown_site', message: `no site "${site}"` });

/** Adds every component schema under its own name (`LeaseRequest#`), its references rewritten to match. */
export function addSchemas(fastify: FastifyInstance): void {
  for (const [name, schema] of Object.entries(openapi.components.schemas as Record<string, object>)) {
    fastify.addSchema(JSON.parse(JSON.stringify({ $id: name, ...schema }).replace(/"#\/components\/schemas\/(\w+)"/g, '"$1#"')));
  }
}
