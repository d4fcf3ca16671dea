import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { legacyMigrations } from '../../migrations/legacy-db/index.js';
import type { PostgresCluster } from '../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../database.js';
import { collectTopics, type Collector } from './events.js';
import { startKafkaTier, type KafkaTier } from './kafka-tier.js';
import { largeText } from './workload.js';

/**
 * Keeps docs/kafka-debezium.md honest: the worked connector configuration it shows
 * (legacy-connector.json) runs against the example's real legacy schema (its migrations), with
 * only the connection settings and the topic replication factor changed for a one-broker tier.
 * Two set-ups, as in the document:
 *   A. as documented: publication auto-created (filtered), replica identities left at DEFAULT;
 *   B. the variant for full row images: REPLICA IDENTITY FULL on cards and comments, and a
 *      publication created up front WITH (publish_generated_columns = stored).
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = JSON.parse(fs.readFileSync(path.join(HERE, 'legacy-connector.json'), 'utf8')) as {
  name: string;
  config: Record<string, string>;
};
const TABLES = ['cards', 'users', 'tags', 'card_tags', 'likes', 'comments'];
const TOPICS = TABLES.map((t) => `legacy.public.${t}`);
const CARD_BODY = largeText('legacy-card');
const PLACEHOLDER = '__debezium_unavailable_value';
const CARD_COLUMNS = [
  'author_id',
  'body',
  'created_at',
  'hidden_reason',
  'id',
  'status',
  'title',
  'updated_at',
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface Scenario {
  client: pg.Client;
  collector: Collector;
  ids: Record<string, string>;
  cleanupPolicy: string;
  values(table: string): Array<Json | null>;
  stop(): Promise<void>;
}

/** Legacy schema + seed rows, the documented connector (plus `overrides`), snapshot consumed. */
async function startScenario(
  label: string,
  beforeConnector: (client: pg.Client) => Promise<void>,
  overrides: Record<string, string>,
): Promise<Scenario> {
  let cluster: PostgresCluster | undefined;
  let tier: KafkaTier | undefined;
  let client: pg.Client | undefined;
  let collector: Collector | undefined;
  const stop = async () => {
    await collector?.stop().catch(() => undefined);
    await client?.end().catch(() => undefined);
    await tier?.stop();
    await cluster?.stop();
  };
  try {
    cluster = await startTestPostgres(`kafka-legacy-${label}`);
    const databaseUrl = await createTestDatabase(cluster, 'legacy');
    const db = new pg.Client({ connectionString: databaseUrl });
    client = db;
    await db.connect();
    const runner = { query: (sql: string, params?: unknown[]) => db.query(sql, params) };
    for (const Migration of legacyMigrations)
      await new Migration().up(runner as unknown as QueryRunner);

    const ids: Record<string, string> = {};
    const one = async (sql: string, params: unknown[] = []) =>
      ((await db.query(sql, params)) as { rows: Array<{ id: string }> }).rows[0].id;
    ids.user = await one(
      `INSERT INTO users (handle, display_name, email) VALUES ('ada', 'Ada', 'ada@example.com') RETURNING id`,
    );
    ids.card = await one(
      `INSERT INTO cards (author_id, title, body) VALUES ($1, 'Engines', $2) RETURNING id`,
      [ids.user, CARD_BODY],
    );
    ids.tag = await one(`INSERT INTO tags (name) VALUES ('history') RETURNING id`);
    await db.query(`INSERT INTO card_tags (card_id, tag_id) VALUES ($1, $2)`, [ids.card, ids.tag]);
    await db.query(`INSERT INTO likes (user_id, card_id) VALUES ($1, $2)`, [ids.user, ids.card]);
    ids.comment = await one(
      `INSERT INTO comments (card_id, author_id, body) VALUES ($1, $2, 'Nice') RETURNING id`,
      [ids.card, ids.user],
    );
    await beforeConnector(db);

    tier = await startKafkaTier({ fetchIfMissing: true });
    const url = new URL(databaseUrl);
    await tier.startDebeziumConnector({
      name: EXAMPLE.name,
      databaseUrl,
      topicPrefix: EXAMPLE.config['topic.prefix'],
      tables: EXAMPLE.config['table.include.list'].split(','),
      extra: {
        ...EXAMPLE.config,
        // the test database instead of legacy-db.internal, one broker instead of three
        'database.hostname': url.hostname,
        'database.port': url.port,
        'database.user': url.username,
        'database.password': url.password,
        'database.dbname': url.pathname.slice(1),
        'topic.creation.default.replication.factor': '1',
        ...overrides,
      },
    });

    // Connect creates the topics itself (topic.creation.default.*) as the snapshot produces.
    const admin = new Kafka({ brokers: tier.brokers, logLevel: logLevel.NOTHING }).admin();
    let cleanupPolicy = '';
    await admin.connect();
    try {
      const deadline = Date.now() + 60_000;
      let existing = new Set<string>();
      while (!TOPICS.every((t) => existing.has(t))) {
        if (Date.now() > deadline) throw new Error(`topics not created: ${[...existing].join()}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        existing = new Set(await admin.listTopics());
      }
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'legacy.public.cards', configNames: [] },
        ],
      });
      cleanupPolicy =
        described.resources[0].configEntries.find((e) => e.configName === 'cleanup.policy')
          ?.configValue ?? '';
    } finally {
      await admin.disconnect();
    }
    const topicCollector = await collectTopics(tier.brokers, TOPICS);
    collector = topicCollector;
    const values = (table: string) =>
      topicCollector.onTopic(`legacy.public.${table}`).map((m) => m.value as Json | null);
    await topicCollector.waitUntil('snapshot of the six tables', () =>
      TABLES.every((t) => values(t).length >= 1),
    );
    return { client: db, collector: topicCollector, ids, cleanupPolicy, values, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

describe('documented connector configuration on the legacy schema (A: as documented)', () => {
  let scenario: Scenario | undefined;
  let fullIdentityError = '';

  beforeAll(async () => {
    scenario = await startScenario('a', async () => undefined, {});
    const { client, ids } = scenario;
    // body untouched, REPLICA IDENTITY DEFAULT (the migrations' default): placeholder
    await client.query(`UPDATE cards SET status = 'hidden' WHERE id = $1`, [ids.card]);
    // what the document warns about: FULL on a table whose publication leaves a column out
    await client.query(`ALTER TABLE cards REPLICA IDENTITY FULL`);
    try {
      await client.query(`UPDATE cards SET status = 'published' WHERE id = $1`, [ids.card]);
    } catch (error) {
      const { message, detail } = error as { message: string; detail?: string };
      fullIdentityError = `${message}: ${detail ?? ''}`;
      console.log(`[kafka-tier] legacy update under REPLICA IDENTITY FULL: ${fullIdentityError}`);
    }
    await client.query(`ALTER TABLE cards REPLICA IDENTITY DEFAULT`);
    await client.query(`UPDATE cards SET status = 'published' WHERE id = $1`, [ids.card]);
    await client.query(`DELETE FROM likes WHERE user_id = $1`, [ids.user]);
    await scenario.collector.waitUntil(
      'the streamed changes',
      () => scenario!.values('cards').length >= 3 && scenario!.values('likes').length >= 3,
    );
  }, 240_000);

  afterAll(async () => {
    await scenario?.stop();
  }, 60_000);

  it('snapshots all six tables into legacy.public.<table> topics, created compacted', () => {
    for (const table of TABLES)
      expect([table, scenario!.values(table)[0]?.op]).toEqual([table, 'r']);
    expect(scenario!.cleanupPolicy).toBe('compact');
    expect(scenario!.collector.onTopic('legacy.public.likes')[0].key).toEqual({
      user_id: scenario!.ids.user,
      card_id: scenario!.ids.card,
    });
  });

  it('leaves the generated search_vector out of snapshot and stream alike', () => {
    for (const value of scenario!.values('cards'))
      for (const row of [value?.before, value?.after])
        if (row) expect(Object.keys(row).sort()).toEqual(CARD_COLUMNS);
  });

  it('streams an update that leaves the TOASTed body alone with the placeholder', () => {
    const [snapshot, hidden, published] = scenario!.values('cards');
    expect(snapshot!.after.body).toBe(CARD_BODY);
    expect(hidden!.op).toBe('u');
    expect(hidden!.before).toBeNull();
    expect(hidden!.after).toEqual(expect.objectContaining({ status: 'hidden', body: PLACEHOLDER }));
    expect(published!.after).toEqual(
      expect.objectContaining({ status: 'published', body: PLACEHOLDER }),
    );
  });

  it('makes the legacy app fail to update cards once it is REPLICA IDENTITY FULL', () => {
    expect(fullIdentityError).toMatch(/cannot update table "cards"/);
  });

  it('deletes a like with a key-only before image and a tombstone', () => {
    const likes = scenario!.collector.onTopic('legacy.public.likes');
    expect(likes.map((m) => (m.value as Json | null)?.op ?? 'tombstone')).toEqual([
      'r',
      'd',
      'tombstone',
    ]);
    expect((likes[1].value as Json).before).toEqual(
      expect.objectContaining({ user_id: scenario!.ids.user, card_id: scenario!.ids.card }),
    );
    expect(likes[2].key).toEqual(likes[1].key);
  });
});

describe('documented connector configuration on the legacy schema (B: full row images)', () => {
  let scenario: Scenario | undefined;

  beforeAll(async () => {
    scenario = await startScenario(
      'b',
      async (client) => {
        await client.query(`ALTER TABLE cards REPLICA IDENTITY FULL`);
        await client.query(`ALTER TABLE comments REPLICA IDENTITY FULL`);
        await client.query(
          `CREATE PUBLICATION debezium_legacy
             FOR TABLE public.cards, public.users, public.tags, public.card_tags, public.likes,
                       public.comments
             WITH (publish_generated_columns = stored)`,
        );
      },
      { 'publication.autocreate.mode': 'disabled' },
    );
    const { client, ids } = scenario;
    await client.query(`UPDATE cards SET status = 'hidden' WHERE id = $1`, [ids.card]);
    await client.query(`DELETE FROM comments WHERE id = $1`, [ids.comment]);
    await scenario.collector.waitUntil(
      'the streamed changes',
      () => scenario!.values('cards').length >= 2 && scenario!.values('comments').length >= 3,
    );
  }, 240_000);

  afterAll(async () => {
    await scenario?.stop();
  }, 60_000);

  it('streams full before and after images, the TOASTed body included', () => {
    const [, hidden] = scenario!.values('cards');
    expect(hidden!.before).toEqual(
      expect.objectContaining({ status: 'published', body: CARD_BODY }),
    );
    expect(hidden!.after).toEqual(expect.objectContaining({ status: 'hidden', body: CARD_BODY }));
  });

  it('still leaves search_vector out of the events (column.exclude.list)', () => {
    for (const value of scenario!.values('cards'))
      for (const row of [value?.before, value?.after])
        if (row) expect(Object.keys(row).sort()).toEqual(CARD_COLUMNS);
  });

  it('gives deletes the whole old row', () => {
    const deleted = scenario!.values('comments')[1]!;
    expect(deleted.op).toBe('d');
    expect(deleted.before).toEqual(
      expect.objectContaining({ id: scenario!.ids.comment, body: 'Nice' }),
    );
  });
});
