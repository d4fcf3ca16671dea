import { INestApplication } from '@nestjs/common';
import pg from 'pg';
import { findFreePort } from '../../../../stack/free-port.js';
import type { PostgresCluster } from '../../../../stack/postgres-cluster.js';
import { createTestDatabase } from '../../../../test-support/database.js';
import { createCardsServiceApp } from '../../src/app.factory.js';
import { CardsServiceConfig } from '../../src/config/cards-service.config.js';
import { runCardsMigrations } from '../../src/database/run-migrations.js';

export const TEST_SECRET = 'cards-e2e-secret';

/** For hooks and slow tests: the e2e project's `testTimeout` does not reach them, so pass it. */
export const E2E_TIMEOUT_MS = 60_000;

/** A fresh, migrated cards database on `cluster`. */
export async function createCardsDatabase(cluster: PostgresCluster): Promise<string> {
  const url = await createTestDatabase(cluster, 'cards');
  await runCardsMigrations(url);
  return url;
}

/** A config for tests; events go to `eventsPort` (a free port with no listener by default). */
export async function testConfig(
  databaseUrl: string,
  eventsPort?: number,
): Promise<CardsServiceConfig> {
  return {
    databaseUrl,
    port: 0,
    authTokenSecret: TEST_SECRET,
    events: { kind: 'tcp', host: '127.0.0.1', port: eventsPort ?? (await findFreePort()) },
  };
}

/** cards-service on `databaseUrl`, initialised, quiet unless it warns. */
export async function startCardsService(config: CardsServiceConfig): Promise<INestApplication> {
  return createCardsServiceApp(config, { logger: ['error'] });
}

/** A pg pool for arranging rows directly in a test database. */
export function sqlClient(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}
