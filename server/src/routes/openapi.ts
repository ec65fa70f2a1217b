// Route schemas come from openapi.json, so validation, serialization and the protocol document never drift.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** What the server reads of openapi.json: its component schemas. */
interface OpenApi {
  components: { schemas: Record<string, { pattern?: string } & Record<string, unknown>> };
}

export const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as OpenApi;

/**
 * The protocol's vocabulary, from openapi.json only: the server's config, routes and webhooks use these, and a test
 * holds the SDK's and the GTM template's copies to them.
 */
export const PATTERNS = {
  e164: openapi.components.schemas.E164!.pattern!,
  site: openapi.components.schemas.Site!.pattern!,
  session: openapi.components.schemas.SessionId!.pattern!,
};
export const E164 = RegExp(PATTERNS.e164);

/** A reference to one of openapi.json's component schemas, as a route schema. */
export const ref = (name: string) => ({ $ref: `${name}#` });

/** The `Error` answer to a site id the config does not list, in the public and the operator API alike. */
export const unknownSite = (reply: FastifyReply, site: string) => reply.code(404).send({ error: 'unknown_site', message: `no site "${site}"` });

/** Adds every component schema under its own name (`LeaseRequest#`), its references rewritten to match. */
export function addSchemas(fastify: FastifyInstance): void {
  for (const [name, schema] of Object.entries(openapi.components.schemas)) {
    fastify.addSchema(JSON.parse(JSON.stringify({ $id: name, ...schema }).replace(/"#\/components\/schemas\/(\w+)"/g, '"$1#"')));
  }
}
