// Route schemas come from openapi.json, so validation, serialization and the protocol document never drift.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

export const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));

/** A reference to one of openapi.json's component schemas, as a route schema. */
export const ref = (name: string) => ({ $ref: `${name}#` });

/** Adds every component schema under its own name (`LeaseRequest#`), its references rewritten to match. */
export function addSchemas(fastify: FastifyInstance): void {
  for (const [name, schema] of Object.entries(openapi.components.schemas as Record<string, object>)) {
    fastify.addSchema(JSON.parse(JSON.stringify({ $id: name, ...schema }).replace(/"#\/components\/schemas\/(\w+)"/g, '"$1#"')));
  }
}
