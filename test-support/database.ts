import { randomBytes } from 'node:crypto';
import {
  connectExistingPostgres,
  startEmbeddedPostgres,
  type PostgresCluster,
} from '../stack/postgres-cluster.js';

/**
 * A real PostgreSQL server for one e2e suite: an embedded one started for the suite (about a
 * second), or the server STRANGLER_TEST_PG_URL names. Call `stop()` in afterAll.
 */
export async function startTestPostgres(label: string): Promise<PostgresCluster> {
  const serverUrl = process.env.STRANGLER_TEST_PG_URL;
  if (serverUrl) return connectExistingPostgres(serverUrl);
  return startEmbeddedPostgres({ label: `test-${label}` });
}

/** Creates a database with a unique name on the cluster and returns its URL. */
export async function createTestDatabase(
  cluster: PostgresCluster,
  prefix: string,
): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  await cluster.ensureDatabase(name);
  return cluster.databaseUrl(name);
}
