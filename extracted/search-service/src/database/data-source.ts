import { DataSource } from 'typeorm';
import { searchDbMigrations } from '../../../../migrations/search-db/index.js';

/**
 * The one DataSource definition of the search database, used by Nest, the migration command and
 * the TypeORM CLI (`typeorm-cli.data-source.ts`). No entities: the service only reads
 * `search_documents` with SQL, and the sync writes the raw tables. Never `synchronize`: the
 * schema comes from `migrations/search-db`.
 */
export function createSearchDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [],
    migrations: searchDbMigrations,
    migrationsTableName: 'search_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    applicationName: 'search-service',
  });
}
