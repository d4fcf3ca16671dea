import { copyCardsFromLegacy } from './copy-from-legacy.js';

/**
 * CLI: `LEGACY_DATABASE_URL=... DATABASE_URL=... node .../copy-from-legacy.command.js`.
 * The cards database must be migrated first (`migrate.command.js`).
 */
async function main(): Promise<void> {
  const legacyUrl = process.env.LEGACY_DATABASE_URL;
  const cardsUrl = process.env.DATABASE_URL;
  if (!legacyUrl) throw new Error('LEGACY_DATABASE_URL is required');
  if (!cardsUrl) throw new Error('DATABASE_URL is required');
  const started = Date.now();
  const copied = await copyCardsFromLegacy(legacyUrl, cardsUrl);
  console.log(`copied ${JSON.stringify(copied)} in ${Date.now() - started} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
