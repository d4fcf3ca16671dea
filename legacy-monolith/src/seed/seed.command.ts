import { Command, InvalidArgumentError } from 'commander';
import { mintAuthToken } from '../auth/auth-token.js';
import { seedLegacyDatabase } from './seed-legacy-database.js';

/**
 * `DATABASE_URL=... node dist/legacy-monolith/src/seed/seed.command.js --seed 42`
 * Seeds a migrated legacy database (skips when it already has users) and prints sample tokens.
 */
function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('must be an integer');
  return parsed;
}

const program = new Command('seed')
  .option('--seed <n>', 'seed number: same number, same rows', integer, 42)
  .option('--users <n>', 'number of users (2 are admins)', integer, 300)
  .option('--cards <n>', 'number of cards', integer, 3000)
  .parse();

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const options = program.opts<{ seed: number; users: number; cards: number }>();
  const started = performance.now();
  const summary = await seedLegacyDatabase(url, options);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    summary.skipped
      ? 'legacy database already has users: nothing written'
      : `seeded in ${seconds}s`,
  );
  console.log(JSON.stringify(summary, null, 2));
  if (summary.adminUserId) console.log(`admin token:  ${mintAuthToken(summary.adminUserId)}`);
  if (summary.memberUserId) console.log(`member token: ${mintAuthToken(summary.memberUserId)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
