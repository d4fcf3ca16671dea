import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { legacyMigrations } from '../../../migrations/legacy-db/index.js';
import { legacyEntities } from './legacy-entities.js';

/**
 * The one definition of the legacy database connection. Nest (`LegacyAppModule`), the
 * migration runner, and the TypeORM CLI all build their DataSource from here.
 */
export function legacyDataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: legacyEntities,
    migrations: [...legacyMigrations],
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    uuidExtension: 'pgcrypto',
    applicationName: 'legacy-monolith',
  };
}

/** A not-yet-initialised DataSource for the legacy database at `url`. */
export function createLegacyDataSource(url: string): DataSource {
  return new DataSource(legacyDataSourceOptions(url));
}

/**
 * For the TypeORM CLI, e.g.
 * `DATABASE_URL=... npx typeorm migration:show -d dist/legacy-monolith/src/database/data-source.js`.
 */
export default createLegacyDataSource(process.env.DATABASE_URL ?? '');
