import pg from 'pg';
import type { PostgresCluster } from '../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../database.js';
import {
  collectTopics,
  normalizeVolatile,
  readFixture,
  VOLATILE_FIELDS,
  writeFixture,
  type CapturedMessage,
  type Collector,
  type EventFixture,
} from './events.js';
import {
  startKafkaTier,
  type DebeziumConnectorConfig,
  type KafkaConnectHandle,
  type KafkaTier,
} from './kafka-tier.js';
import {
  BODY_1,
  BODY_1_EDITED,
  BODY_2,
  CARD_1,
  CARD_2,
  CARD_3,
  CARD_BODY_1,
  createSchema,
  EXPECTED_MESSAGES,
  EXPECTED_SNAPSHOT_READS,
  runSteps,
  SNAPSHOT_STEPS,
  STREAMING_STEPS,
  TABLES,
} from './workload.js';

/**
 * The real thing: PostgreSQL -> Debezium PostgreSQL connector (Kafka Connect standalone) ->
 * Kafka (KRaft), consumed with kafkajs. One Connect worker runs three connectors over the same
 * database, each with its own slot and topic prefix, so the same transactions are seen as
 *   json          JSON converter, schemas.enable=false   (topics kt.public.*)
 *   json-schemas  JSON converter, schemas.enable=true    (topics kts.public.*)
 *   unwrap        ExtractNewRecordState SMT, no schemas  (topics ktu.public.*)
 * With STRANGLER_RECORD_FIXTURES=1 the events are written to fixtures/<variant>.json; otherwise
 * they are compared with the checked-in fixtures after normalizeVolatile().
 */

const VARIANTS = {
  json: { topicPrefix: 'kt', schemas: false },
  'json-schemas': { topicPrefix: 'kts', schemas: true },
  unwrap: {
    topicPrefix: 'ktu',
    schemas: false,
    unwrap: {
      'delete.tombstone.handling.mode': 'rewrite-with-tombstone',
      'add.fields': 'op,table,lsn,txId,source.ts_ms,snapshot',
    },
  },
} satisfies Record<string, Omit<DebeziumConnectorConfig, 'databaseUrl' | 'tables'>>;
type Variant = keyof typeof VARIANTS;
const VARIANT_NAMES = Object.keys(VARIANTS) as Variant[];

const CARD_4 = '00000000-0000-4000-8000-000000000004';
const RECORD = process.env.STRANGLER_RECORD_FIXTURES === '1';
const PLACEHOLDER = '__debezium_unavailable_value';

// Debezium events are deep JSON documents: the assertions below navigate them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('kafka tier start-up errors', () => {
  it('says so when java is missing', async () => {
    await expect(startKafkaTier({ java: '/nonexistent/bin/java' })).rejects.toThrow(
      /java not found/,
    );
  });

  it('says so when the artifacts are missing, naming the script', async () => {
    await expect(startKafkaTier({ artifactsDir: '/nonexistent/kafka-tier' })).rejects.toThrow(
      /artifacts missing .*fetch-artifacts\.sh/,
    );
  });
});

describe('kafka tier: Kafka (KRaft) + Debezium PostgreSQL connector', () => {
  let cluster: PostgresCluster | undefined;
  let tier: KafkaTier | undefined;
  let collector: Collector | undefined;
  let connect: KafkaConnectHandle;
  let connectorConfigs: DebeziumConnectorConfig[] = [];
  let client: pg.Client | undefined;
  let serverVersion = '';

  const topic = (variant: Variant, table: string) => `${VARIANTS[variant].topicPrefix}.${table}`;
  const events = (variant: Variant, table: string): CapturedMessage[] =>
    collector!.onTopic(topic(variant, table));
  const values = (variant: Variant, table: string) =>
    events(variant, table).map((m) => m.value as Json | null);

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startTestPostgres('kafka-tier');
    const databaseUrl = await createTestDatabase(cluster, 'kafka_tier');
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    serverVersion = (
      (await client.query('SHOW server_version')) as { rows: Array<{ server_version: string }> }
    ).rows[0].server_version;
    await createSchema(client);
    await runSteps(client, SNAPSHOT_STEPS);

    tier = await startKafkaTier({
      fetchIfMissing: true,
      log: (message) => console.log(`[kafka-tier] ${message}`),
    });
    const allTopics = VARIANT_NAMES.flatMap((v) => TABLES.map((t) => topic(v, t)));
    collector = await collectTopics(tier.brokers, allTopics);
    connectorConfigs = VARIANT_NAMES.map((variant) => ({
      ...VARIANTS[variant],
      name: `pg-${variant}`,
      databaseUrl,
      tables: [...TABLES],
    }));
    connect = await tier.startDebeziumConnectors(connectorConfigs);

    try {
      await collector.waitUntil('snapshot reads on every variant', () =>
        VARIANT_NAMES.every((v) =>
          TABLES.every((t) => events(v, t).length >= EXPECTED_SNAPSHOT_READS[t]),
        ),
      );
      await runSteps(client, STREAMING_STEPS);
      await collector.waitUntil('every change event of the workload', () =>
        VARIANT_NAMES.every((v) =>
          TABLES.every((t) => events(v, t).length >= EXPECTED_MESSAGES[t]),
        ),
      );
      // Anything extra (duplicates, stray events) would arrive right behind: give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } catch (error) {
      throw new Error(`${String(error)}\n${tier.logTails()}`);
    }
    console.log(`[kafka-tier] workload captured ${Date.now() - started} ms after start`);
  }, 240_000);

  afterAll(async () => {
    await collector?.stop().catch(() => undefined);
    await client?.end().catch(() => undefined);
    await tier?.stop();
    await cluster?.stop();
  }, 60_000);

  it('delivers exactly the expected number of records per topic', () => {
    for (const variant of VARIANT_NAMES)
      for (const table of TABLES)
        expect([variant, table, events(variant, table).length]).toEqual([
          variant,
          table,
          EXPECTED_MESSAGES[table],
        ]);
  });

  it('emits snapshot reads (op r) with source.snapshot set, then streaming with snapshot=false', () => {
    const cards = values('json', 'public.cards');
    expect(cards.map((v) => v?.op ?? 'tombstone')).toEqual(['r', 'r', 'c', 'u', 'd', 'tombstone']);
    const reads = cards.slice(0, 2);
    for (const read of reads) {
      expect(read!.before).toBeNull();
      expect([
        'first',
        'true',
        'last',
        'first_in_data_collection',
        'last_in_data_collection',
      ]).toContain(read!.source.snapshot);
    }
    expect(reads.map((r) => r!.after.id).sort()).toEqual([CARD_1, CARD_2]);
    // the very last snapshot record of the whole snapshot says "last"
    const allReads = VARIANT_NAMES.slice(0, 1).flatMap((v) =>
      TABLES.flatMap((t) => values(v, t).filter((x) => x?.op === 'r')),
    );
    expect(allReads.map((r) => r!.source.snapshot)).toContain('last');
    expect(cards[2]!.source.snapshot).toBe('false');
  });

  it('carries source position, transaction id and table coordinates on every event', () => {
    for (const table of TABLES)
      for (const value of values('json', table)) {
        if (value === null) continue;
        expect(value.source).toEqual(
          expect.objectContaining({
            connector: 'postgresql',
            name: 'kt',
            schema: 'public',
            table: table.split('.')[1],
            lsn: expect.any(Number),
            txId: expect.any(Number),
            ts_ms: expect.any(Number),
            db: expect.any(String),
          }),
        );
        expect(value.ts_ms).toEqual(expect.any(Number));
      }
    // one transaction over two tables: same txId, and the card's lsn before the tag's
    const insertCard = values('json', 'public.cards').find((v) => v?.op === 'c')!;
    const insertTag = values('json', 'public.card_tags').find((v) => v?.op === 'c')!;
    expect(insertTag.source.txId).toBe(insertCard.source.txId);
    expect(insertTag.source.lsn).toBeGreaterThan(insertCard.source.lsn);
  });

  it('maps column types the Debezium way (uuid, numeric, jsonb, timestamptz)', () => {
    const created = values('json', 'public.cards').find((v) => v?.op === 'c')!;
    expect(created.after).toEqual({
      id: CARD_3,
      title: 'Third card',
      votes: 1,
      archived: false,
      // decimal.handling.mode=precise: numeric as the base64 of its unscaled big-endian bytes
      price: Buffer.from([0x27, 0x0f]).toString('base64'),
      meta: '{"tags": ["x"]}',
      body: 'x',
      created_at: '2024-03-04T05:06:07.000000Z',
    });
  });

  it('gives updates a full before image under REPLICA IDENTITY FULL', () => {
    const update = values('json', 'public.cards').find((v) => v?.op === 'u')!;
    expect(update.before).toEqual(
      expect.objectContaining({ id: CARD_1, title: 'First card', votes: 3 }),
    );
    expect(update.after).toEqual(
      expect.objectContaining({ id: CARD_1, title: 'First card (renamed)', votes: 4 }),
    );
  });

  it('under REPLICA IDENTITY FULL fills an unchanged TOASTed column from the old row', () => {
    const update = values('json', 'public.cards').find((v) => v?.op === 'u')!;
    expect(update.before.body).toBe(CARD_BODY_1);
    expect(update.after.body).toBe(CARD_BODY_1);
  });

  it('keys records by primary key, composite keys included', () => {
    expect(events('json', 'public.cards').map((m) => m.key)).toEqual([
      expect.objectContaining({ id: expect.any(String) }),
      expect.objectContaining({ id: expect.any(String) }),
      { id: CARD_3 },
      { id: CARD_1 },
      { id: CARD_2 },
      { id: CARD_2 },
    ]);
    const tagKeys = events('json', 'public.card_tags').map((m) => m.key);
    expect(tagKeys.slice(2)).toEqual([
      { card_id: CARD_3, tag: 'x' },
      { card_id: CARD_1, tag: 'a' }, // key change: delete old key ...
      { card_id: CARD_1, tag: 'a' }, // ... its tombstone ...
      { card_id: CARD_1, tag: 'z' }, // ... create under the new key
      { card_id: CARD_1, tag: 'b' },
      { card_id: CARD_1, tag: 'b' },
    ]);
    const tags = values('json', 'public.card_tags');
    expect(tags.slice(2).map((v) => v?.op ?? 'tombstone')).toEqual([
      'c',
      'd',
      'tombstone',
      'c',
      'd',
      'tombstone',
    ]);
  });

  it('follows every delete with a tombstone (same key, null value)', () => {
    for (const table of TABLES) {
      const records = events('json', table);
      records.forEach((record, index) => {
        if ((record.value as Json | null)?.op !== 'd') return;
        const next = records[index + 1];
        expect(next.value).toBeNull();
        expect(next.key).toEqual(record.key);
      });
    }
  });

  it('under REPLICA IDENTITY DEFAULT: no before on update, key-only before on delete', () => {
    const comments = values('json', 'public.comments');
    expect(comments.map((v) => v?.op ?? 'tombstone')).toEqual([
      'r',
      'u',
      'u',
      'c',
      'd',
      'tombstone',
    ]);
    expect(comments[1]!.before).toBeNull();
    const deleted = comments[4]!;
    expect(deleted.after).toBeNull();
    // only the key is in the WAL record: Debezium fills the NOT NULL columns with empty values
    expect(deleted.before).toEqual({ id: 1, card_id: '', body: '', edited: false });
  });

  it('puts the unavailable-value placeholder in an unchanged TOASTed column', () => {
    const comments = values('json', 'public.comments');
    expect(comments[0]!.after.body).toBe(BODY_1);
    expect(comments[1]!.after).toEqual({ id: 1, card_id: CARD_1, body: PLACEHOLDER, edited: true });
    expect(comments[2]!.after.body).toBe(BODY_1_EDITED);
    expect(comments[3]!.after.body).toBe(BODY_2);
  });

  it('with schemas.enable=true wraps keys and values in {schema, payload}', () => {
    const withSchemas = events('json-schemas', 'public.cards');
    const plain = events('json', 'public.cards');
    const first = withSchemas[2];
    expect(first.key).toEqual({
      schema: expect.objectContaining({ type: 'struct', name: 'kts.public.cards.Key' }),
      payload: { id: CARD_3 },
    });
    const value = first.value as Json;
    expect(value.schema).toEqual(
      expect.objectContaining({ type: 'struct', name: 'kts.public.cards.Envelope' }),
    );
    const after = (value.schema.fields as Json[]).find((f) => f.field === 'after')!;
    const idField = (after.fields as Json[]).find((f) => f.field === 'id');
    expect(idField).toEqual(
      expect.objectContaining({ type: 'string', name: 'io.debezium.data.Uuid' }),
    );
    const priceField = (after.fields as Json[]).find((f) => f.field === 'price');
    expect(priceField).toEqual(
      expect.objectContaining({ type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal' }),
    );
    expect(value.payload.after).toEqual((plain[2].value as Json).after);
    // tombstones stay null (no schema envelope)
    expect(withSchemas[5].value).toBeNull();
  });

  it('with ExtractNewRecordState publishes flat rows, deletes rewritten with __deleted', () => {
    const cards = values('unwrap', 'public.cards');
    const created = cards[2]!;
    expect(created).toEqual(
      expect.objectContaining({ id: CARD_3, title: 'Third card', __op: 'c', __deleted: 'false' }),
    );
    expect(created.__lsn).toEqual(expect.any(Number));
    expect(created.__txId).toEqual(expect.any(Number));
    const deleted = cards[4]!;
    expect(deleted).toEqual(expect.objectContaining({ id: CARD_2, __op: 'd', __deleted: 'true' }));
    expect(cards[5]).toBeNull();
    const comments = values('unwrap', 'public.comments');
    expect(comments[1]).toEqual(expect.objectContaining({ id: 1, body: PLACEHOLDER, __op: 'u' }));
  });

  it(
    RECORD ? 'records the fixtures' : 'matches the checked-in fixtures (volatile fields aside)',
    async () => {
      for (const variant of VARIANT_NAMES) {
        const connector = connect.connectors.find((c) => c.name === `pg-${variant}`)!;
        const topics: EventFixture['topics'] = {};
        for (const table of TABLES)
          topics[topic(variant, table)] = events(variant, table).map(
            ({ offset, key, value, headers }) => ({
              offset,
              key,
              value,
              headers,
            }),
          );
        const recorded: EventFixture = {
          description: `Real Debezium change events for test-support/kafka-tier/workload.ts, variant "${variant}"`,
          recordedAt: new Date().toISOString(),
          versions: {
            kafka: tier!.versions.kafka,
            debezium: tier!.versions.debezium,
            postgres: serverVersion,
          },
          connector: connector.properties,
          workload: {
            snapshot: SNAPSHOT_STEPS.map((s) => s.label),
            streaming: STREAMING_STEPS.map((s) => s.label),
          },
          volatileFields: VOLATILE_FIELDS,
          topics,
        };
        if (RECORD) {
          const file = await writeFixture(variant, maskConnector(recorded));
          console.log(`[kafka-tier] wrote ${file}`);
          continue;
        }
        const fixture = readFixture(variant);
        if (!fixture)
          throw new Error(
            `fixtures/${variant}.json missing: record with STRANGLER_RECORD_FIXTURES=1`,
          );
        expect(normalizeVolatile(recorded.topics)).toEqual(normalizeVolatile(fixture.topics));
      }
    },
  );

  // Runs last: it adds events after the ones the tests above (and the fixtures) look at.
  it('resumes from the stored offsets after a Connect restart, without a new snapshot', async () => {
    const before = VARIANT_NAMES.map((v) => events(v, 'public.cards').length);
    await tier!.stopConnector();
    await client!.query(
      `INSERT INTO cards (id, title, body, created_at) VALUES ($1, 'Written while Connect was down', 'y', now())`,
      [CARD_4],
    );
    await tier!.startDebeziumConnectors(connectorConfigs);
    await collector!.waitUntil('the insert made while Connect was down', () =>
      VARIANT_NAMES.every((v, i) => events(v, 'public.cards').length >= before[i] + 1),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    VARIANT_NAMES.forEach((variant, i) => {
      const added = events(variant, 'public.cards').slice(before[i]);
      expect([variant, added.length]).toEqual([variant, 1]);
    });
    const added = values('json', 'public.cards').at(-1)!;
    expect(added.op).toBe('c');
    expect(added.after.id).toBe(CARD_4);
    for (const table of TABLES.slice(1))
      expect(events('json', table).length).toBe(EXPECTED_MESSAGES[table]);
  }, 120_000);
});

/** Connection details differ per run and machine: keep them out of the checked-in files. */
function maskConnector(fixture: EventFixture): EventFixture {
  const connector = { ...fixture.connector };
  for (const key of ['database.hostname', 'database.port', 'database.dbname', 'database.user'])
    connector[key] = `<${key}>`;
  return { ...fixture, connector };
}
