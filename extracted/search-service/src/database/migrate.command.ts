import { runSearchMigrations } from './run-migrations.js';

/** CLI: `SEARCH_DATABASE_URL=postgres://... node dist/extracted/search-service/src/database/migrate.command.js` */
async function main(): Promise<void> {
  const url = process.env.SEARCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('SEARCH_DATABASE_URL is required (or DATABASE_URL)');
  const applied = await runSearchMigrations(url);
  console.log(
    applied.length ? `search-db: applied ${applied.join(', ')}` : 'search-db: already up to date',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
