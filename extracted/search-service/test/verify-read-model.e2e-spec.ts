import pg from 'pg';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../../test-support/database.js';
import { runSearchMigrations } from '../src/database/run-migrations.js';
import { VERIFY_ID_LIMIT, verifyReadModel } from '../src/read-model/verify-read-model.js';

const AUTHOR = '00000000-0000-4000-8000-0000000000a1';
const cardId = (n: number): string => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

/**
 * `verifyReadModel` on a migrated search database: identical after the triggers' work, and each
 * kind of corruption of `search_documents` (written to directly and committed, so no trigger repairs it) named
 * by card id.
 */
describe('verifyReadModel', () => {
  let cluster: PostgresCluster;
  let url: string;
  let client: pg.Client;

  beforeAll(async () => {
    cluster = await startTestPostgres('search-verify');
    url = await createTestDatabase(cluster, 'search_verify');
    await runSearchMigrations(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO authors (id, handle, display_name) VALUES ($1, 'ada', 'Ada')`, [
      AUTHOR,
    ]);
    await client.query(
      `INSERT INTO cards (id, author_id, title, body, status, created_at, updated_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, $1, 'Card ' || n,
              'Body', 'published', now(), now()
         FROM generate_series(1, 30) AS n`,
      [AUTHOR],
    );
    await client.query(`INSERT INTO likes (user_id, card_id) VALUES (gen_random_uuid(), $1)`, [
      cardId(1),
    ]);
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await cluster?.stop();
  }, 60_000);

  it('finds the read model identical to what the raw tables imply', async () => {
    expect(await verifyReadModel(url)).toEqual({
      identical: true,
      documents: 30,
      missing: [],
      stale: [],
      extra: [],
    });
  });

  it('names stale, missing and extra documents, at most VERIFY_ID_LIMIT of each', async () => {
    // Stale: a count, a tag list and a title that differ from the raw tables.
    await client.query(`UPDATE search_documents SET like_count = 5 WHERE card_id = $1`, [
      cardId(1),
    ]);
    await client.query(`UPDATE search_documents SET tags = '{ghost}' WHERE card_id = $1`, [
      cardId(2),
    ]);
    await client.query(`UPDATE search_documents SET title = 'Edited' WHERE card_id = $1`, [
      cardId(3),
    ]);
    // Missing: more than the limit, so the list is cut.
    await client.query(
      `DELETE FROM search_documents WHERE card_id <> ALL ($1::uuid[]) AND card_id <= $2`,
      [[cardId(1), cardId(2), cardId(3)], cardId(3 + VERIFY_ID_LIMIT + 2)],
    );
    // Extra: a document whose card is not in the raw tables.
    await client.query(
      `INSERT INTO search_documents
         SELECT $1, status, title, body, author_id, author_handle, author_display_name, tags,
                like_count, comment_count, created_at, updated_at
           FROM search_documents WHERE card_id = $2`,
      [cardId(999), cardId(30)],
    );
    const report = await verifyReadModel(url);
    expect(report).toEqual({
      identical: false,
      documents: 30 - (VERIFY_ID_LIMIT + 2) + 1,
      missing: Array.from({ length: VERIFY_ID_LIMIT }, (_, i) => cardId(4 + i)),
      stale: [cardId(1), cardId(2), cardId(3)],
      extra: [cardId(999)],
    });
  });

  it('refuses a URL that is not postgres://, and a database without the read model', async () => {
    await expect(verifyReadModel('mysql://x/y')).rejects.toThrow(/must be a postgres:\/\/ URL/);
    const empty = await createTestDatabase(cluster, 'search_verify_empty');
    await expect(verifyReadModel(empty)).rejects.toThrow(/no read model to check/);
  });
});
