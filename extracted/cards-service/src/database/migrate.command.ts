import { runCardsMigrations } from './run-migrations.js';

/** CLI: `DATABASE_URL=postgres://... node dist/extracted/cards-service/src/database/migrate.command.js` */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const applied = await runCardsMigrations(url);
  console.log(
    applied.length ? `cards-db: applied ${applied.join(', ')}` : 'cards-db: already up to date',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
