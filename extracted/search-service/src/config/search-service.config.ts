import { z } from 'zod';

/** The validated configuration of search-service, built once at start-up. */
export interface SearchServiceConfig {
  databaseUrl: string;
  port: number;
}

export const DEFAULT_SEARCH_SERVICE_PORT = 3003;

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** A `postgres://` or `postgresql://` URL that parses. */
export const isPostgresUrl = (value: string): boolean =>
  /^postgres(ql)?:\/\//.test(value) && URL.canParse(value);

const databaseUrl = z
  .string()
  .refine(isPostgresUrl, { error: 'must be a postgres:// URL' })
  .optional();

const databaseSchema = z.object({
  SEARCH_DATABASE_URL: z.preprocess(emptyToUndefined, databaseUrl),
  DATABASE_URL: z.preprocess(emptyToUndefined, databaseUrl),
});

const environmentSchema = databaseSchema.extend({
  PORT: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(65535).default(DEFAULT_SEARCH_SERVICE_PORT),
  ),
});

type Env = Record<string, string | undefined>;

function parse<T>(schema: z.ZodType<T>, env: Env): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
  throw new Error(`Invalid search-service configuration: ${problems.join('; ')}`);
}

/**
 * The one rule for the search database's URL, used by the service, the migration command and
 * the TypeORM CLI: `SEARCH_DATABASE_URL` (the name the `search` sync pipeline uses for the same
 * database), else `DATABASE_URL` as the other services read it; an empty variable counts as
 * unset. Throws naming the variable when the URL is missing or not a postgres:// URL.
 */
export function resolveSearchDatabaseUrl(env: Env = process.env): string {
  const vars = parse(databaseSchema, env);
  const url = vars.SEARCH_DATABASE_URL ?? vars.DATABASE_URL;
  if (url === undefined)
    throw new Error(
      'Invalid search-service configuration: SEARCH_DATABASE_URL is required (or DATABASE_URL)',
    );
  return url;
}

/**
 * Validates the environment once; a bad or missing variable throws an error naming it, so the
 * service fails at start-up instead of on the first request. The database URL as
 * `resolveSearchDatabaseUrl` resolves it.
 */
export function loadSearchServiceConfig(env: Env = process.env): SearchServiceConfig {
  const vars = parse(environmentSchema, env);
  return { databaseUrl: resolveSearchDatabaseUrl(env), port: vars.PORT };
}
