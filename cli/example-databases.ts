/**
 * The example's database URLs, resolved the way `npm start` creates them, for every command that
 * works on the running example without asking (the walkthrough, `strangler sync`): each
 * `*_DATABASE_URL` as given, else that database (`legacy`, `cards`, `search`) on the server of
 * `STRANGLER_PG_URL`, else on the embedded PostgreSQL (`127.0.0.1:$STRANGLER_PG_PORT`, 54320).
 */
import type { CliIo } from './cli-io.js';

/** The environment variable of each example database, and the database's name. */
export const EXAMPLE_DATABASES = {
  legacy: 'LEGACY_DATABASE_URL',
  cards: 'CARDS_DATABASE_URL',
  search: 'SEARCH_DATABASE_URL',
} as const;

export type ExampleDatabase = keyof typeof EXAMPLE_DATABASES;

/** The embedded server's superuser, as stack/postgres-cluster.ts creates it. */
const EMBEDDED_SERVER = (port: string): string => `postgres://postgres:postgres@127.0.0.1:${port}`;

export function exampleDatabaseUrls(env: CliIo['env']): Record<ExampleDatabase, string> {
  const server = env.STRANGLER_PG_URL
    ? serverOf(env.STRANGLER_PG_URL)
    : EMBEDDED_SERVER(env.STRANGLER_PG_PORT || '54320');
  const url = (database: ExampleDatabase): string =>
    env[EXAMPLE_DATABASES[database]] || `${server}/${database}`;
  return { legacy: url('legacy'), cards: url('cards'), search: url('search') };
}

/** The `*_DATABASE_URL` variables `env` lacks, filled in (what the sync pipelines' `urlEnv` read). */
export function missingDatabaseUrlVariables(env: CliIo['env']): Record<string, string> {
  const urls = exampleDatabaseUrls(env);
  const missing: Record<string, string> = {};
  for (const [database, variable] of Object.entries(EXAMPLE_DATABASES)) {
    if (!env[variable]) missing[variable] = urls[database as ExampleDatabase];
  }
  return missing;
}

/** `postgres://u:p@host:5432/postgres?x` → `postgres://u:p@host:5432` (the database is ours). */
function serverOf(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = '';
  url.search = '';
  return url.toString().replace(/\/$/, '');
}
