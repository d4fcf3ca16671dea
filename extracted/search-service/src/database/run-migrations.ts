// A deliberate copy of cards-service's run-migrations (services share no code: docs/decisions.md §11).
import { createSearchDataSource } from './data-source.js';

/** Applies the pending search-db migrations and returns the names of the ones it ran. */
export async function runSearchMigrations(url: string): Promise<string[]> {
  const dataSource = await createSearchDataSource(url).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
