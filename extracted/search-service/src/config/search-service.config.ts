import { z } from 'zod';

/** The validated configuration of search-service, built once at start-up. */
export interface SearchServiceConfig {
  databaseUrl: string;
  port: number;
}

export const DEFAULT_SEARCH_SERVICE_PORT = 3003;

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const databaseUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
    error: 'must be a postgres:// URL',
  })
  .optional();

const environmentSchema = z.object({
  SEARCH_DATABASE_URL: z.preprocess(emptyToUndefined, databaseUrl),
  DATABASE_URL: z.preprocess(emptyToUndefined, databaseUrl),
  PORT: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(65535).default(DEFAULT_SEARCH_SERVICE_PORT),
  ),
});

/**
 * Validates the environment once; a bad or missing variable throws an error naming it, so the
 * service fails at start-up instead of on the first request. The database is
 * `SEARCH_DATABASE_URL` (the name the `search` sync pipeline uses for the same database), or
 * `DATABASE_URL` as the other services read it; the first wins when both are set.
 */
export function loadSearchServiceConfig(
  env: Record<string, string | undefined> = process.env,
): SearchServiceConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new Error(`Invalid search-service configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const url = vars.SEARCH_DATABASE_URL ?? vars.DATABASE_URL;
  if (url === undefined)
    throw new Error(
      'Invalid search-service configuration: SEARCH_DATABASE_URL is required (or DATABASE_URL)',
    );
  return { databaseUrl: url, port: vars.PORT };
}
