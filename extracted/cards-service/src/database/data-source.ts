import { DataSource } from 'typeorm';
import { cardsDbMigrations } from '../../../../migrations/cards-db/index.js';
import { cardsEntities } from './cards-entities.js';

/**
 * The one DataSource definition of the cards database, used by Nest, the migration command and
 * the TypeORM CLI. Never `synchronize`: the schema comes from `migrations/cards-db`.
 */
export function createCardsDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: cardsEntities,
    migrations: cardsDbMigrations,
    migrationsTableName: 'cards_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    applicationName: 'cards-service',
  });
}

/** For the TypeORM CLI (`typeorm -d <this file> migration:show`); reads `DATABASE_URL`. */
export default createCardsDataSource(process.env.DATABASE_URL ?? '');
