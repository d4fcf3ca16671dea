import { loadLegacyConfig } from '../config/legacy-config.js';
import { runLegacyMigrations } from './run-migrations.js';

/** `DATABASE_URL=... node dist/legacy-monolith/src/database/migrate.command.js` */
async function main(): Promise<void> {
  const { databaseUrl } = loadLegacyConfig();
  await runLegacyMigrations(databaseUrl);
  console.log('legacy-monolith: migrations are up to date');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
