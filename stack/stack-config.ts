import path from 'node:path';
import { z } from 'zod';

import {
  adminTokenFileFor,
  ensureAdminTokenFile,
} from '../strangler-facade/src/admin/admin-token-file.js';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
  .optional();

/** Everything `npm start` can be told through the environment, validated once. */
const stackConfigSchema = z.object({
  /** An existing PostgreSQL server to create the example databases on, instead of the embedded one. */
  STRANGLER_PG_URL: postgresUrl,
  /** Use these databases as they are (created and migrated by you or by this command). */
  LEGACY_DATABASE_URL: postgresUrl,
  CARDS_DATABASE_URL: postgresUrl,
  SEARCH_DATABASE_URL: postgresUrl,
  STRANGLER_PG_PORT: port(54320),
  LEGACY_PORT: port(3001),
  CARDS_SERVICE_PORT: port(3002),
  SEARCH_SERVICE_PORT: port(3003),
  CARDS_EVENTS_PORT: port(3012),
  /** Prometheus metrics of the three pipelines: cards, cards-reverse, search. */
  SYNC_METRICS_PORT: port(9464),
  CARDS_REVERSE_SYNC_METRICS_PORT: port(9465),
  SEARCH_SYNC_METRICS_PORT: port(9466),
  STRANGLER_PORT: port(8080),
  STRANGLER_ADMIN_PORT: port(8081),
  STRANGLER_ROUTES_FILE: z.string().min(1).default('routes.yaml'),
  /**
   * Where the example keeps what outlives a run: the database, the walkthrough's progress (the
   * walkthrough reads `.strangler/` under its working directory unless given `--state`).
   */
  STRANGLER_STATE_DIR: z.string().min(1).default('.strangler'),
  /** `1`: a throwaway database, removed at stop (the walkthrough's and the tests' own stacks). */
  STRANGLER_EPHEMERAL: z
    .enum(['', '0', '1', 'false', 'true'])
    .default('')
    .transform((value) => value === '1' || value === 'true'),
  SEED: z.coerce.number().int().default(42),
  AUTH_TOKEN_SECRET: z.string().min(8).default('strangler-example-secret'),
  /** The facade's admin token; unset = a random one kept in .strangler/admin-token (0600). */
  STRANGLER_ADMIN_TOKEN: z.string().min(16).optional(),
});

export type StackConfig = z.infer<typeof stackConfigSchema> & {
  routesFile: string;
  stateDir: string;
  /** What the facade's admin plane accepts: the variable, else the stack's token file. */
  adminToken: string;
};

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const parsed = stackConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`invalid environment for npm start:\n${problems.join('\n')}`);
  }
  const routesFile = path.resolve(parsed.data.STRANGLER_ROUTES_FILE);
  const adminToken =
    parsed.data.STRANGLER_ADMIN_TOKEN ?? ensureAdminTokenFile(adminTokenFileFor(routesFile));
  return {
    ...parsed.data,
    routesFile,
    stateDir: path.resolve(parsed.data.STRANGLER_STATE_DIR),
    adminToken,
  };
}
