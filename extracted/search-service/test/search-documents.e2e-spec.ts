import pg from 'pg';
import { DataSource } from 'typeorm';
import { CreateSearchSchema1764200000000 } from '../../../migrations/search-db/1764200000000-CreateSearchSchema.js';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../../test-support/database.js';
import { createSearchDataSource } from '../src/database/data-source.js';
import { runSearchMigrations } from '../src/database/run-migrations.js';

const AUTHOR = '00000000-0000-4000-8000-0000000000a1';
const CARD = '00000000-0000-4000-8000-0000000000c1';
const TAG_B = '00000000-0000-4000-8000-0000000000b2';
const TAG_Z = '00000000-0000-4000-8000-0000000000b1';

const MIGRATIONS = [
  'CreateSearchSchema1764200000000',
  'SerializeSearchDocumentRefresh1764300000000',
];

interface DocumentRow {
  status: string;
  title: string;
  author_handle: string;
  author_display_name: string;
  tags: string[];
  like_count: number;
  comment_count: number;
}

/**
 * The read model's triggers on a migrated search database, written to directly: rows in any
 * order (as a sync with `session_replication_role = replica` may apply them), every change that
 * touches a card's document, and the migration's up, re-run and down.
 */
describe('search-db: search_documents kept by triggers', () => {
  let cluster: PostgresCluster;
  let client: pg.Client;

  beforeAll(async () => {
    cluster = await startTestPostgres('search-documents');
    const url = await createTestDatabase(cluster, 'search_documents');
    expect(await runSearchMigrations(url)).toEqual(MIGRATIONS);
    expect(await runSearchMigrations(url)).toEqual([]);
    client = new pg.Client({ connectionString: url });
    await client.connect();
    // As the sync's Kafka apply runs: ordinary triggers and foreign keys are off.
    await client.query('SET session_replication_role = replica');
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await cluster?.stop();
  }, 60_000);

  const documentOf = async (id = CARD): Promise<DocumentRow | undefined> =>
    (
      await client.query<DocumentRow>(
        `SELECT status, title, author_handle, author_display_name, tags, like_count, comment_count
           FROM search_documents WHERE card_id = $1`,
        [id],
      )
    ).rows[0];

  it('builds a document once card and author are both there, whatever arrived first', async () => {
    await client.query(`INSERT INTO tags (id, name) VALUES ($1, 'zeta'), ($2, 'beta')`, [
      TAG_Z,
      TAG_B,
    ]);
    await client.query(`INSERT INTO card_tags (card_id, tag_id) VALUES ($1, $2), ($1, $3)`, [
      CARD,
      TAG_Z,
      TAG_B,
    ]);
    await client.query(
      `INSERT INTO likes (user_id, card_id) VALUES (gen_random_uuid(), $1), (gen_random_uuid(), $1)`,
      [CARD],
    );
    await client.query(
      `INSERT INTO cards (id, author_id, title, body, status, created_at, updated_at)
       VALUES ($1, $2, 'Routing the neural protocol', 'Body', 'published', now(), now())`,
      [CARD, AUTHOR],
    );
    expect(await documentOf()).toBeUndefined(); // no author yet
    await client.query(`INSERT INTO authors (id, handle, display_name) VALUES ($1, 'ada', 'Ada')`, [
      AUTHOR,
    ]);
    expect(await documentOf()).toEqual({
      status: 'published',
      title: 'Routing the neural protocol',
      author_handle: 'ada',
      author_display_name: 'Ada',
      tags: ['beta', 'zeta'],
      like_count: 2,
      comment_count: 0,
    });
  });

  it('follows every change that shows in a hit', async () => {
    await client.query(`INSERT INTO comments (id, card_id) VALUES (gen_random_uuid(), $1)`, [CARD]);
    await client.query(
      `UPDATE authors SET display_name = 'Ada L.', handle = 'adal' WHERE id = $1`,
      [AUTHOR],
    );
    await client.query(`UPDATE tags SET name = 'alpha' WHERE id = $1`, [TAG_Z]);
    await client.query(`DELETE FROM card_tags WHERE tag_id = $1`, [TAG_B]);
    await client.query(
      `DELETE FROM likes WHERE ctid = (SELECT min(ctid) FROM likes WHERE card_id = $1)`,
      [CARD],
    );
    await client.query(
      `UPDATE cards SET status = 'hidden', title = 'Hidden protocol' WHERE id = $1`,
      [CARD],
    );
    expect(await documentOf()).toEqual({
      status: 'hidden',
      title: 'Hidden protocol',
      author_handle: 'adal',
      author_display_name: 'Ada L.',
      tags: ['alpha'],
      like_count: 1,
      comment_count: 1,
    });
    const vector = await client.query<{ vector: string }>(
      `SELECT search_vector::text AS vector FROM search_documents WHERE card_id = $1`,
      [CARD],
    );
    // Title words weigh A, body words B (positions continue after the title's).
    expect(vector.rows[0]?.vector).toBe(`'bodi':3B 'hidden':1A 'protocol':2A`);
  });

  it('drops the document with its card or its author, and rebuilds after a TRUNCATE', async () => {
    await client.query(`DELETE FROM authors WHERE id = $1`, [AUTHOR]);
    expect(await documentOf()).toBeUndefined();
    await client.query(`INSERT INTO authors (id, handle, display_name) VALUES ($1, 'ada', 'Ada')`, [
      AUTHOR,
    ]);
    expect(await documentOf()).toMatchObject({ author_handle: 'ada' });
    await client.query('TRUNCATE likes');
    expect(await documentOf()).toMatchObject({ like_count: 0, comment_count: 1 });
    await client.query(`DELETE FROM cards WHERE id = $1`, [CARD]);
    expect(await documentOf()).toBeUndefined();
  });

  /** The database's functions and their bodies, whitespace runs folded. */
  const functionsOf = (dataSource: DataSource) =>
    dataSource.query<{ name: string; body: string }[]>(
      `SELECT proname AS name, regexp_replace(prosrc, '\\s+', ' ', 'g') AS body FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace ORDER BY proname`,
    );

  it('migrates down to nothing and up again', async () => {
    // The functions as the first migration alone creates them.
    const firstOnly = await new DataSource({
      type: 'postgres',
      url: await createTestDatabase(cluster, 'search_first'),
      migrations: [CreateSearchSchema1764200000000],
      migrationsTableName: 'search_migrations',
    }).initialize();
    let firstMigrationFunctions: { name: string; body: string }[];
    try {
      await firstOnly.runMigrations({ transaction: 'each' });
      firstMigrationFunctions = await functionsOf(firstOnly);
    } finally {
      await firstOnly.destroy();
    }

    const url = await createTestDatabase(cluster, 'search_down');
    await runSearchMigrations(url);
    const dataSource = await createSearchDataSource(url).initialize();
    try {
      // The second migration's down puts the first one's functions back as they were.
      await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await functionsOf(dataSource)).toEqual(firstMigrationFunctions);
      await dataSource.undoLastMigration({ transaction: 'each' });
      const left = await dataSource.query<{ name: string }[]>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'
          UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
      );
      expect(left.map((row) => row.name)).toEqual(['search_migrations']);
    } finally {
      await dataSource.destroy();
    }
    expect(await runSearchMigrations(url)).toEqual(MIGRATIONS);
  });
});
