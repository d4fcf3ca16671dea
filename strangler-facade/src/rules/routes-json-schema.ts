/**
 * The published JSON Schema of routes.yaml, generated from the zod schema (never hand-edited).
 * `strangler-facade/routes.schema.json` is this output; its spec fails when they drift and
 * rewrites the file when run with `UPDATE_ROUTES_SCHEMA=1`.
 * Cross-field checks (unknown upstream, duplicate names) live only in the zod schema.
 */
import { z } from 'zod';

import { routesFileSchema } from './rule-schema.js';

/** A URN, not a URL: the schema is served by the admin plane (`GET /schema`), not hosted. */
export const ROUTES_SCHEMA_ID = 'urn:strangler:routes-file:v1';

let cached: Record<string, unknown> | null = null;

export function routesJsonSchema(): Record<string, unknown> {
  cached ??= {
    ...z.toJSONSchema(routesFileSchema, { io: 'input' }),
    $id: ROUTES_SCHEMA_ID,
    title: 'strangler routes.yaml',
    description:
      'Route rules of the strangler facade: named upstreams, ordered rules (first match wins) and a default rule.',
  };
  return cached;
}
