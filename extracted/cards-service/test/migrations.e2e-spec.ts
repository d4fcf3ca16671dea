import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../../test-support/database.js';
import { createCardsDataSource } from '../src/database/data-source.js';
import { runCardsMigrations } from '../src/database/run-migrations.js';
import { E2E_TIMEOUT_MS } from './support/cards-test-env.js';

describe('cards-db migrations', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startTestPostgres('cards-migrations');
  }, E2E_TIMEOUT_MS);
  afterAll(() => cluster?.stop(), E2E_TIMEOUT_MS);

  const tables = async (url: string) => {
    const dataSource = await createCardsDataSource(url).initialize();
    try {
      const rows: { table_name: string; has_pk: boolean }[] = await dataSource.query(
        `SELECT t.table_name,
                EXISTS (SELECT 1 FROM information_schema.table_constraints c
                         WHERE c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY') AS has_pk
           FROM information_schema.tables t
          WHERE t.table_schema = 'public' ORDER BY t.table_name`,
      );
      return rows;
    } finally {
      await dataSource.destroy();
    }
  };

  it(
    'creates every table with a primary key, is re-runnable, and matches the entities',
    async () => {
      const url = await createTestDatabase(cluster, 'cards_mig');
      expect(await runCardsMigrations(url)).toEqual(['CreateCardsSchema1764100000000']);
      expect(await runCardsMigrations(url)).toEqual([]);
      expect(await tables(url)).toEqual(
        ['authors', 'card_tags', 'cards', 'cards_migrations', 'comments', 'likes', 'tags'].map(
          (table_name) => ({ table_name, has_pk: true }),
        ),
      );

      // What `migration:generate --check` does: the entities need no further schema change.
      const dataSource = await createCardsDataSource(url).initialize();
      try {
        const pending = await dataSource.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((query) => query.query)).toEqual([]);
      } finally {
        await dataSource.destroy();
      }
    },
    E2E_TIMEOUT_MS,
  );

  it('reverts with down()', async () => {
    const url = await createTestDatabase(cluster, 'cards_down');
    await runCardsMigrations(url);
    const dataSource = await createCardsDataSource(url).initialize();
    try {
      await dataSource.undoLastMigration();
    } finally {
      await dataSource.destroy();
    }
    expect(await tables(url)).toEqual([{ table_name: 'cards_migrations', has_pk: true }]);
  });
});
