import { E2E_TIMEOUT } from './legacy-test-app.js';
import type { PostgresCluster } from '../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../test-support/database.js';
import { createLegacyDataSource } from '../src/database/data-source.js';
import { runLegacyMigrations } from '../src/database/run-migrations.js';

/**
 * The `migration:generate --check` gate: after the migrations, TypeORM finds nothing to change
 * between the entities and the schema, so a missing migration fails the build.
 */
describe('legacy entities match the migrations', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startTestPostgres('legacy-drift');
  }, E2E_TIMEOUT);
  afterAll(() => cluster?.stop(), E2E_TIMEOUT);

  it(
    'has no pending schema changes',
    async () => {
      const url = await createTestDatabase(cluster, 'drift');
      await runLegacyMigrations(url);
      const dataSource = await createLegacyDataSource(url).initialize();
      try {
        const sqlInMemory = await dataSource.driver.createSchemaBuilder().log();
        expect(sqlInMemory.upQueries.map((query) => query.query)).toEqual([]);
      } finally {
        await dataSource.destroy();
      }
    },
    E2E_TIMEOUT,
  );
});
