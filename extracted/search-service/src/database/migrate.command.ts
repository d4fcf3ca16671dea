import { resolveSearchDatabaseUrl } from '../config/search-service.config.js';
import { runSearchMigrations } from './run-migrations.js';

/** CLI: `SEARCH_DATABASE_URL=postgres://... node dist/extracted/search-service/src/database/migrate.command.js` */
async function main(): Promise<void> {
  const applied = await runSearchMigrations(resolveSearchDatabaseUrl());
  console.log(
    applied.length ? `search-db: applied ${applied.join(', ')}` : 'search-db: already up to date',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
