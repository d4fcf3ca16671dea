import pg from 'pg';
import { isPostgresUrl } from '../config/search-service.config.js';

/** How `search_documents` compares with the documents the raw tables imply. */
export interface ReadModelReport {
  /** No document missing, stale or extra. */
  identical: boolean;
  /** Rows in `search_documents`. */
  documents: number;
  /** Card ids with a document expected but absent (at most `VERIFY_ID_LIMIT`, sorted). */
  missing: string[];
  /** Card ids whose document differs from the expected one (at most `VERIFY_ID_LIMIT`). */
  stale: string[];
  /** Card ids with a document but none expected (at most `VERIFY_ID_LIMIT`). */
  extra: string[];
}

/** At most this many ids are listed per kind of difference. */
export const VERIFY_ID_LIMIT = 20;

const COLUMNS = [
  'card_id',
  'status',
  'title',
  'body',
  'author_id',
  'author_handle',
  'author_display_name',
  'tags',
  'like_count',
  'comment_count',
  'created_at',
  'updated_at',
].join(', ');

/**
 * One statement, so one snapshot: both directions with EXCEPT over every document column
 * (`search_vector` is generated from title and body). A row of `search_documents` not in the
 * expected set is stale when its card has an expected document, extra otherwise.
 */
const VERIFY_SQL = `
  WITH unexpected AS MATERIALIZED (
         SELECT ${COLUMNS} FROM search_documents
         EXCEPT SELECT ${COLUMNS} FROM search_documents_expected),
       absent AS MATERIALIZED (
         SELECT ${COLUMNS} FROM search_documents_expected
         EXCEPT SELECT ${COLUMNS} FROM search_documents)
  SELECT (SELECT count(*) FROM search_documents)::int AS documents,
         ARRAY(SELECT a.card_id::text FROM absent a
                WHERE NOT EXISTS (SELECT 1 FROM unexpected u WHERE u.card_id = a.card_id)
                ORDER BY a.card_id LIMIT $1) AS missing,
         ARRAY(SELECT u.card_id::text FROM unexpected u
                WHERE EXISTS (SELECT 1 FROM absent a WHERE a.card_id = u.card_id)
                ORDER BY u.card_id LIMIT $1) AS stale,
         ARRAY(SELECT u.card_id::text FROM unexpected u
                WHERE NOT EXISTS (SELECT 1 FROM absent a WHERE a.card_id = u.card_id)
                ORDER BY u.card_id LIMIT $1) AS extra`;

/**
 * Checks the search read model against its source of truth, the raw tables: compares
 * `search_documents` with the view `search_documents_expected` (migrations/search-db) both ways.
 * Read-only; on a database that is being written to, a difference can be a change in flight.
 */
export async function verifyReadModel(searchDatabaseUrl: string): Promise<ReadModelReport> {
  if (!isPostgresUrl(searchDatabaseUrl))
    throw new Error('verifyReadModel: searchDatabaseUrl must be a postgres:// URL');
  const client = new pg.Client({
    connectionString: searchDatabaseUrl,
    application_name: 'search-service verify',
  });
  await client.connect();
  try {
    const { rows } = await client.query<Omit<ReadModelReport, 'identical'>>(VERIFY_SQL, [
      VERIFY_ID_LIMIT,
    ]);
    const { documents, missing, stale, extra } = rows[0];
    const identical = missing.length === 0 && stale.length === 0 && extra.length === 0;
    return { identical, documents, missing, stale, extra };
  } catch (error) {
    if ((error as { code?: string }).code === '42P01')
      throw new Error(
        'verifyReadModel: the search database has no read model to check (migrate it first: ' +
          `migrations/search-db): ${(error as Error).message}`,
      );
    throw error;
  } finally {
    await client.end();
  }
}
