import pg from 'pg';
import type { PostgresCluster } from '../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from './database.js';

describe('test PostgreSQL', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startTestPostgres('harness');
  });
  afterAll(() => cluster.stop());

  it('is a real server with logical replication enabled', async () => {
    const client = new pg.Client({
      connectionString: await createTestDatabase(cluster, 'harness'),
    });
    await client.connect();
    const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
    await client.end();
    expect(rows[0]?.wal_level).toBe('logical');
  });
});
