import { createCardsDataSource } from './data-source.js';

/** Applies the pending cards-db migrations and returns the names of the ones it ran. */
export async function runCardsMigrations(url: string): Promise<string[]> {
  const dataSource = await createCardsDataSource(url).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
