import { E2E_TIMEOUT } from './legacy-test-app.js';
import pg from 'pg';
import type { PostgresCluster } from '../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../test-support/database.js';
import { revertLegacyMigrations, runLegacyMigrations } from '../src/database/run-migrations.js';
import { seedLegacyDatabase } from '../src/seed/seed-legacy-database.js';

const TABLES: Record<string, string> = {
  users: 'id',
  follows: 'follower_id, followee_id',
  cards: 'id',
  tags: 'id',
  card_tags: 'card_id, tag_id',
  likes: 'user_id, card_id',
  comments: 'id',
  moderation_actions: 'id',
  notifications: 'user_id, card_id',
};

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** md5 of every row of every table, in primary-key order. */
function checksum(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const sums: Record<string, string> = {};
    for (const [table, key] of Object.entries(TABLES)) {
      const { rows } = await client.query<{ sum: string }>(
        `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${key}), '')) AS sum FROM ${table} t`,
      );
      sums[table] = rows[0].sum;
    }
    return sums;
  });
}

function tableNames(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name NOT IN ('migrations', 'typeorm_metadata')
        ORDER BY table_name`,
    );
    return rows.map((row) => row.table_name);
  });
}

describe('legacy database: migrations and seed', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startTestPostgres('legacy-db');
  }, E2E_TIMEOUT);
  afterAll(() => cluster?.stop(), E2E_TIMEOUT);

  it(
    'migrations go down and up again; every table has a primary key',
    async () => {
      const url = await createTestDatabase(cluster, 'migrate');
      await runLegacyMigrations(url);
      await runLegacyMigrations(url); // nothing pending: a no-op
      const tables = await tableNames(url);
      expect(tables).toEqual(Object.keys(TABLES).sort());

      await revertLegacyMigrations(url, 1);
      expect(await tableNames(url)).not.toContain('notifications');
      await revertLegacyMigrations(url, 1);
      const columns = await withClient(url, async (client) => {
        const { rows } = await client.query(
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'cards' AND column_name = 'search_vector'`,
        );
        return rows.length;
      });
      expect(columns).toBe(0);
      await revertLegacyMigrations(url, 1);
      expect(await tableNames(url)).toEqual([]);

      await runLegacyMigrations(url);
      expect(await tableNames(url)).toEqual(tables);
      const withoutKey = await withClient(url, async (client) => {
        const { rows } = await client.query<{ relname: string }>(
          `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r'
            AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)`,
        );
        return rows.map((row) => row.relname);
      });
      expect(withoutKey).toEqual([]);
    },
    E2E_TIMEOUT,
  );

  it(
    'the same seed gives identical rows; another seed does not; a second run skips',
    async () => {
      const [first, second, other] = await Promise.all(
        ['seed_a', 'seed_b', 'seed_c'].map(async (prefix) => {
          const url = await createTestDatabase(cluster, prefix);
          await runLegacyMigrations(url);
          return url;
        }),
      );
      const options = { seed: 7, users: 60, cards: 400, now: new Date('2030-03-01T00:00:00Z') };
      const summary = await seedLegacyDatabase(first, options);
      await seedLegacyDatabase(second, options);
      await seedLegacyDatabase(other, { ...options, seed: 8 });

      expect(summary).toMatchObject({ skipped: false, seed: 7, users: 60, admins: 2, cards: 400 });
      expect(summary.bannedUsers).toBeGreaterThan(0);
      expect(summary.likes).toBeGreaterThan(0);
      expect(summary.comments).toBeGreaterThan(0);
      expect(summary.follows).toBeGreaterThan(0);
      expect(summary.adminUserId).toEqual(expect.any(String));
      expect(summary.memberUserId).toEqual(expect.any(String));

      const sums = await checksum(first);
      expect(await checksum(second)).toEqual(sums);
      const otherSums = await checksum(other);
      expect(otherSums.users).not.toBe(sums.users);
      expect(otherSums.cards).not.toBe(sums.cards);

      const again = await seedLegacyDatabase(first, options);
      expect(again).toEqual({ ...summary, skipped: true });
      expect(await checksum(first)).toEqual(sums);
    },
    E2E_TIMEOUT,
  );

  it(
    'seeds the default dataset (300 users, 3000 cards) in a few seconds',
    async () => {
      const url = await createTestDatabase(cluster, 'seed_full');
      await runLegacyMigrations(url);
      const started = Date.now();
      const summary = await seedLegacyDatabase(url, { seed: 42 });
      const elapsed = Date.now() - started;
      expect(summary).toMatchObject({ users: 300, admins: 2, bannedUsers: 3, cards: 3000 });
      expect(summary.hiddenCards).toBeGreaterThan(0);
      expect(summary.moderationActions).toBe(summary.hiddenCards + summary.bannedUsers);
      expect(summary.likes).toBeGreaterThan(10000);
      expect(elapsed).toBeLessThan(20000);
    },
    E2E_TIMEOUT,
  );
});
