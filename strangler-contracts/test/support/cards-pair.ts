import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createCardsServiceApp } from '../../../extracted/cards-service/src/app.factory.js';
import { copyCardsFromLegacy } from '../../../extracted/cards-service/src/copy-from-legacy/copy-from-legacy.js';
import { runCardsMigrations } from '../../../extracted/cards-service/src/database/run-migrations.js';
import { createLegacyApp } from '../../../legacy-monolith/src/app.factory.js';
import { mintAuthToken } from '../../../legacy-monolith/src/auth/auth-token.js';
import { DEFAULT_AUTH_TOKEN_SECRET } from '../../../legacy-monolith/src/config/legacy-config.js';
import { runLegacyMigrations } from '../../../legacy-monolith/src/database/run-migrations.js';
import { seedLegacyDatabase } from '../../../legacy-monolith/src/seed/seed-legacy-database.js';
import { findFreePort } from '../../../stack/free-port.js';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../../test-support/database.js';

/** Hooks start PostgreSQL and two Nest apps: allow for a loaded CI machine. */
export const E2E_TIMEOUT_MS = 120_000;

/** The old and the new side of the cards endpoints, on the same seeded data. */
export interface CardsPair {
  readonly oldBaseUrl: string;
  readonly newBaseUrl: string;
  /** What the cards suite's `${...}` need (contracts/cards/example.vars.yaml). */
  readonly vars: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL; a legacy database migrated and seeded; a cards database migrated and filled
 * by `copyCardsFromLegacy`; legacy-monolith and cards-service listening on free loopback ports.
 */
export async function startCardsPair(
  label: string,
  seed = { seed: 7, users: 40, cards: 200 },
): Promise<CardsPair> {
  const cluster: PostgresCluster = await startTestPostgres(label);
  const apps: INestApplication[] = [];
  try {
    const legacyUrl = await createTestDatabase(cluster, 'contracts_legacy');
    await runLegacyMigrations(legacyUrl);
    const summary = await seedLegacyDatabase(legacyUrl, seed);
    const cardsUrl = await createTestDatabase(cluster, 'contracts_cards');
    await runCardsMigrations(cardsUrl);
    await copyCardsFromLegacy(legacyUrl, cardsUrl);
    const vars = await suiteVars(legacyUrl, summary.memberUserId);

    const legacy = await createLegacyApp(
      { databaseUrl: legacyUrl, port: 0, authTokenSecret: DEFAULT_AUTH_TOKEN_SECRET },
      { logger: false },
    );
    apps.push(legacy);
    const cards = await createCardsServiceApp(
      {
        databaseUrl: cardsUrl,
        port: 0,
        authTokenSecret: DEFAULT_AUTH_TOKEN_SECRET,
        // Nobody listens: events are fire-and-forget and never slow a request down.
        events: { kind: 'tcp', host: '127.0.0.1', port: await findFreePort() },
      },
      { logger: ['error'] },
    );
    apps.push(cards);
    return {
      oldBaseUrl: await listen(legacy),
      newBaseUrl: await listen(cards),
      vars,
      stop: async () => {
        for (const app of apps) await app.close();
        await cluster.stop();
      },
    };
  } catch (error) {
    for (const app of apps) await app.close().catch(() => undefined);
    await cluster.stop();
    throw error;
  }
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as { address(): AddressInfo }).address();
  return `http://127.0.0.1:${address.port}`;
}

/** Members, a banned user and a hidden card of the seeded legacy database. */
async function suiteVars(
  legacyUrl: string,
  memberUserId: string | null,
): Promise<Record<string, string>> {
  if (!memberUserId) throw new Error('the seed has no member');
  const client = new pg.Client({ connectionString: legacyUrl });
  await client.connect();
  try {
    const one = async (sql: string, params: unknown[] = []): Promise<string> => {
      const { rows } = await client.query<{ id: string }>(sql, params);
      if (!rows[0]) throw new Error(`the seed has no row for: ${sql}`);
      return rows[0].id;
    };
    const otherMember = await one(
      `SELECT id FROM users WHERE role = 'member' AND banned_at IS NULL AND id <> $1
       ORDER BY handle LIMIT 1`,
      [memberUserId],
    );
    const banned = await one(
      `SELECT id FROM users WHERE banned_at IS NOT NULL ORDER BY handle LIMIT 1`,
    );
    const hiddenCard = await one(
      `SELECT id FROM cards WHERE status = 'hidden' ORDER BY id LIMIT 1`,
    );
    const commentedCard = await one(
      `SELECT c.id FROM cards c JOIN comments m ON m.card_id = c.id WHERE c.status = 'published'
       GROUP BY c.id HAVING count(*) >= 3 ORDER BY count(*) DESC, c.id LIMIT 1`,
    );
    return {
      memberId: memberUserId,
      memberToken: mintAuthToken(memberUserId, DEFAULT_AUTH_TOKEN_SECRET),
      otherMemberToken: mintAuthToken(otherMember, DEFAULT_AUTH_TOKEN_SECRET),
      bannedToken: mintAuthToken(banned, DEFAULT_AUTH_TOKEN_SECRET),
      hiddenCardId: hiddenCard,
      commentedCardId: commentedCard,
      strangerToken: mintAuthToken(randomUUID(), DEFAULT_AUTH_TOKEN_SECRET),
    };
  } finally {
    await client.end();
  }
}
