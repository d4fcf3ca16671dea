import { createLegacyDataSource } from './data-source.js';

/** Applies every pending legacy migration (each in its own transaction) and disconnects. */
export async function runLegacyMigrations(url: string): Promise<void> {
  const dataSource = await createLegacyDataSource(url).initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/** Reverts the most recent `steps` legacy migrations (their `down()`), newest first. */
export async function revertLegacyMigrations(url: string, steps = 1): Promise<void> {
  const dataSource = await createLegacyDataSource(url).initialize();
  try {
    for (let step = 0; step < steps; step++) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
  } finally {
    await dataSource.destroy();
  }
}
