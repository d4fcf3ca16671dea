import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { PostgresCluster } from '../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../test-support/database.js';
import {
  collectTopics,
  readFixture,
  type CapturedMessage,
  type Collector,
} from '../../test-support/kafka-tier/events.js';
import { startKafkaTier, type KafkaTier } from '../../test-support/kafka-tier/kafka-tier.js';
import {
  createSchema,
  largeText,
  runSteps,
  SCHEMA_SQL,
  SNAPSHOT_STEPS,
  STREAMING_STEPS,
  TABLES,
} from '../../test-support/kafka-tier/workload.js';
import { dropPublication, dropSlot } from '../src/capture/replication-slot.js';
import { decodeValue } from '../src/kafka/debezium-record.js';
import { syncMetrics } from '../src/metrics.js';
import {
  parsePipelineDefinition,
  type PipelineDefinition,
} from '../src/pipeline-definition/pipeline-definition.schema.js';
import { startPipeline, type RunningPipeline } from '../src/pipeline/start-pipeline.js';
import { formatVerifyReport, verifyPipeline } from '../src/verify/verify-pipeline.js';

/**
 * The Kafka transport against the real thing (test-support/kafka-tier: Kafka 4.3 KRaft, Debezium
 * 3.6 PostgreSQL connector in Connect standalone, topics with 3 partitions):
 *   A. real Debezium → Kafka → our apply, for the three converter set-ups (json, json with
 *      schemas, ExtractNewRecordState), snapshot reads + a mixed workload, consumers restarted
 *      halfway: verify reports the targets identical to the source. The targets have a foreign
 *      key (card_tags → cards) across two topics: the apply side retries such batches later;
 *   B. our capture → Kafka → our apply (json and json with schemas), the pipeline restarted
 *      halfway: identical as well;
 *   C. the shape contract: for the workload's streaming steps, our capture's records match the
 *      recorded Debezium fixture field by field, except for the documented differences;
 *   D. foreignKeys: wait;
 *   E. two directions, one of them over Kafka: our capture skips the transactions the other
 *      pipeline applied, and the Kafka apply's commits carry its replication origin.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const PARTITIONS = 3;
const TABLE_NAMES = TABLES.map((t) => t.split('.')[1] ?? t);

/** A mixed workload: inserts, updates (some leave TOAST unchanged), key moves, deletes. */
async function mixedWorkload(
  client: pg.Client,
  transactions: number,
  seed: string,
  options: { deleteCards?: boolean } = {},
) {
  const cards: string[] = (
    await client.query<{ id: string }>('SELECT id::text FROM cards ORDER BY id')
  ).rows.map((r) => r.id);
  let comment = Number(
    (await client.query<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM comments'))
      .rows[0]?.n ?? 0,
  );
  let n = 0;
  const pick = <T>(items: T[]): T | undefined => items[(n * 7919) % Math.max(items.length, 1)];
  for (let t = 0; t < transactions; t += 1) {
    await client.query('BEGIN');
    for (let s = 0; s < 1 + (t % 4); s += 1) {
      n += 1;
      const card = pick(cards);
      switch (n % 9) {
        case 0:
        case 1: {
          const id = randomUUID();
          cards.push(id);
          await client.query(
            `INSERT INTO cards (id, title, votes, price, meta, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, now())`,
            [
              id,
              `card ${seed}-${n}`,
              n,
              n % 3 === 0 ? null : (n * 1.37).toFixed(2),
              JSON.stringify({ n }),
              n % 5 === 0 ? largeText(`${seed}-${n}`, 4000) : 'small',
            ],
          );
          await client.query(
            `INSERT INTO card_tags (card_id, tag, position) VALUES ($1, 't1', 1), ($1, 't2', 2)`,
            [id],
          );
          break;
        }
        case 2:
          if (card)
            await client.query(`UPDATE cards SET votes = votes + 1, title = $2 WHERE id = $1`, [
              card,
              `renamed ${n}`,
            ]);
          break;
        case 3:
          comment += 1;
          await client.query(`INSERT INTO comments (id, card_id, body) VALUES ($1, $2, $3)`, [
            comment,
            card ?? randomUUID(),
            largeText(`${seed}-c-${n}`, 3000),
          ]);
          break;
        case 4:
          await client.query(`UPDATE comments SET edited = NOT edited WHERE id % 3 = $1`, [n % 3]);
          break;
        case 5:
          if (card)
            await client.query(
              `UPDATE card_tags SET tag = tag || 'x' WHERE card_id = $1 AND tag = 't1'`,
              [card],
            );
          break;
        case 6:
          if (card && options.deleteCards !== false) {
            await client.query(`DELETE FROM card_tags WHERE card_id = $1`, [card]);
            await client.query(`DELETE FROM cards WHERE id = $1`, [card]);
            cards.splice(cards.indexOf(card), 1);
          }
          break;
        case 7:
          await client.query(`DELETE FROM comments WHERE id = (SELECT min(id) FROM comments)`);
          break;
        default:
          await client.query(`UPDATE card_tags SET position = position + 1 WHERE tag = 't2'`);
      }
    }
    await client.query('COMMIT');
  }
}

describe('kafka transport (real Kafka + Debezium)', () => {
  let cluster: PostgresCluster | undefined;
  let tier: KafkaTier | undefined;
  const clients: pg.Client[] = [];
  const pipelines: RunningPipeline[] = [];
  const slots: Array<{ url: string; slot: string; publication: string }> = [];

  const client = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`SET TIME ZONE 'UTC'`);
    clients.push(c);
    return c;
  };
  const targetDatabase = async () => {
    const url = await createTestDatabase(cluster!, 'tgt');
    const c = await client(url);
    for (const sql of SCHEMA_SQL) await c.query(sql);
    // The target has the foreign key the source lacks: tags and cards travel on different
    // topics, so the apply side must cope with a child arriving before its parent (and a
    // parent's delete before its children's).
    await c.query(`ALTER TABLE card_tags ADD FOREIGN KEY (card_id) REFERENCES cards (id)`);
    return url;
  };
  const definition = (
    name: string,
    sourceUrl: string,
    targetUrl: string,
    transport: Json,
  ): PipelineDefinition => {
    const parsed = parsePipelineDefinition(
      {
        source: { url: sourceUrl },
        target: { url: targetUrl },
        tables: { cards: null, card_tags: null, comments: null },
        transport: { kind: 'kafka', brokers: tier!.brokers, ...transport },
      },
      name,
    );
    if (!parsed.success) throw parsed.error;
    slots.push({ url: sourceUrl, slot: parsed.data.slot, publication: parsed.data.publication });
    return parsed.data;
  };
  const start = async (def: PipelineDefinition, logger?: Logger) => {
    const running = await startPipeline(def, { logger });
    pipelines.push(running);
    return running;
  };
  const identical = async (def: PipelineDefinition, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    let report = await verifyPipeline(def);
    while (!report.identical && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      report = await verifyPipeline(def);
    }
    return report;
  };

  /** Verify reports IDENTICAL (waiting for the apply side), no error, no dead letters. */
  const expectIdentical = async (def: PipelineDefinition, running: RunningPipeline | undefined) => {
    const report = await identical(def);
    const status = await running?.status();
    expect({
      pipeline: def.name,
      verify: report.identical ? 'IDENTICAL' : formatVerifyReport(report),
      error: status?.error ?? null,
      deadLetters: status?.deadLetters ?? 0,
    }).toEqual({ pipeline: def.name, verify: 'IDENTICAL', error: null, deadLetters: 0 });
  };

  beforeAll(async () => {
    cluster = await startTestPostgres('kafka-transport');
    tier = await startKafkaTier({
      fetchIfMissing: true,
      partitions: PARTITIONS,
      log: (message) => console.log(`[kafka-tier] ${message}`),
    });
  }, 240_000);

  afterAll(async () => {
    for (const running of pipelines) await running.stop().catch(() => undefined);
    for (const c of clients) await c.end().catch(() => undefined);
    for (const { url, slot, publication } of slots) {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        await dropSlot(c, slot);
        await dropPublication(c, publication);
      } catch {
        // gone already
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    await tier?.stop();
    await cluster?.stop();
  }, 120_000);

  it('A. real Debezium → Kafka → our apply: targets identical for json, json with schemas and unwrapped, across consumer restarts', async () => {
    const sourceUrl = await createTestDatabase(cluster!, 'dbz');
    const source = await client(sourceUrl);
    await createSchema(source);
    await runSteps(source, SNAPSHOT_STEPS);
    await mixedWorkload(source, 20, 'before-connector'); // arrives as snapshot reads (op r)

    const variants = [
      { prefix: 'dz', format: 'json', connector: { schemas: false } },
      { prefix: 'dzs', format: 'json-with-schemas', connector: { schemas: true } },
      {
        prefix: 'dzu',
        format: 'unwrapped',
        connector: {
          schemas: false,
          unwrap: {
            'delete.tombstone.handling.mode': 'rewrite-with-tombstone',
            'add.fields': 'op,table,lsn,txId,source.ts_ms,snapshot',
          },
        },
      },
    ] as const;
    await tier!.startDebeziumConnectors(
      variants.map((v) => ({
        name: `pg-${v.prefix}`,
        databaseUrl: sourceUrl,
        topicPrefix: v.prefix,
        tables: [...TABLES],
        ...v.connector,
      })),
    );
    const definitions = await Promise.all(
      variants.map(async (v) =>
        definition(`dbz-${v.prefix}`, sourceUrl, await targetDatabase(), {
          topicPrefix: v.prefix,
          format: v.format,
          capture: 'external',
          groupId: `apply-${v.prefix}`,
        }),
      ),
    );
    let running = await Promise.all(definitions.map((d) => start(d)));
    await runSteps(source, STREAMING_STEPS);
    await mixedWorkload(source, 40, 'first-half');
    // Consumers stop (offsets committed after their target transactions) while writes go on.
    await Promise.all(running.map((r) => r.stop()));
    await mixedWorkload(source, 40, 'while-stopped');
    running = await Promise.all(definitions.map((d) => start(d)));
    await mixedWorkload(source, 40, 'second-half');
    for (const [i, def] of definitions.entries()) await expectIdentical(def, running[i]);
    await Promise.all(running.map((r) => r.stop()));
  }, 300_000);

  it('B+C. our capture → Kafka → our apply (json, json with schemas) across restarts; records shaped like Debezium', async () => {
    const sourceUrl = await createTestDatabase(cluster!, 'own');
    const source = await client(sourceUrl);
    await createSchema(source);
    await runSteps(source, SNAPSHOT_STEPS);
    const variants = [
      { prefix: 'own', format: 'json' },
      { prefix: 'owns', format: 'json-with-schemas' },
    ] as const;
    const topics = variants.flatMap((v) => TABLE_NAMES.map((t) => `${v.prefix}.public.${t}`));
    const collector: Collector = await collectTopics(tier!.brokers, topics);
    try {
      const definitions = await Promise.all(
        variants.map(async (v) =>
          definition(`own-${v.format}`, sourceUrl, await targetDatabase(), {
            topicPrefix: v.prefix,
            format: v.format,
          }),
        ),
      );
      let running = await Promise.all(definitions.map((d) => start(d)));
      await runSteps(source, STREAMING_STEPS);
      // C: the contract, on the records of the workload's streaming steps.
      const fixture = readFixture('json')!;
      const expectedCount = (table: string) =>
        (fixture.topics[`kt.public.${table}`] ?? []).filter(
          (m) => m.value === null || (m.value as Json).op !== 'r',
        ).length;
      await collector.waitUntil('our streaming records', () =>
        TABLE_NAMES.every((t) => collector.onTopic(`own.public.${t}`).length >= expectedCount(t)),
      );
      const differences: string[] = [];
      for (const table of TABLE_NAMES) {
        const theirs = (fixture.topics[`kt.public.${table}`] ?? []).filter(
          (m) => m.value === null || (m.value as Json).op !== 'r',
        );
        const ours = byKeyOrder(collector.onTopic(`own.public.${table}`));
        expect(ours.length).toBe(theirs.length);
        const sortedTheirs = byKeyOrder(theirs);
        for (let i = 0; i < sortedTheirs.length; i += 1)
          differences.push(...shapeDifferences(`${table}[${i}]`, ours[i], sortedTheirs[i], table));
      }
      expect(differences).toEqual([]);
      // with schemas: the same payloads inside {schema, payload}
      const withSchemas = collector.onTopic('owns.public.cards')[0]?.value as Json;
      expect(Object.keys(withSchemas)).toEqual(['schema', 'payload']);
      expect(withSchemas.schema.name).toBe('owns.public.cards.Envelope');

      // B: restarts under a mixed workload, then identical targets.
      await mixedWorkload(source, 40, 'own-1');
      await Promise.all(running.map((r) => r.stop()));
      await mixedWorkload(source, 40, 'own-stopped');
      running = await Promise.all(definitions.map((d) => start(d)));
      await mixedWorkload(source, 40, 'own-2');
      for (const [i, def] of definitions.entries()) await expectIdentical(def, running[i]);
      await Promise.all(running.map((r) => r.stop()));
    } finally {
      await collector.stop();
    }
  }, 300_000);
  it('D. foreignKeys: wait — a child arriving before its parent waits for it (FK enforced throughout)', async () => {
    const sourceUrl = await createTestDatabase(cluster!, 'wait');
    const source = await client(sourceUrl);
    await createSchema(source);
    await runSteps(source, SNAPSHOT_STEPS);
    const targetUrl = await targetDatabase();
    const def = definition('own-wait', sourceUrl, targetUrl, {
      topicPrefix: 'ownw',
      foreignKeys: 'wait',
    });
    // Counts the waits (how often a tags batch got ahead of its cards: timing decides).
    let waits = 0;
    const logger = pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          if (line.includes('foreign key not satisfied yet')) waits += 1;
        },
      },
    );
    let running = await start(def, logger);
    // Cards and their tags are written in the same transactions, so the tags' topic often
    // gets ahead of the cards' one; no card is deleted (see docs: "wait" cannot help a child
    // insert that arrives after its parent's delete).
    await mixedWorkload(source, 60, 'wait-1', { deleteCards: false });
    await running.stop();
    await mixedWorkload(source, 30, 'wait-stopped', { deleteCards: false });
    running = await start(def, logger);
    await mixedWorkload(source, 60, 'wait-2', { deleteCards: false });
    await expectIdentical(def, running);
    // The foreign key was enforced, not bypassed.
    const role = await (
      await client(targetUrl)
    ).query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'card_tags'::regclass AND contype = 'f'`,
    );
    expect(role.rows[0]?.n).toBe(1);
    console.log(`foreignKeys wait: ${waits} batches waited for their parent rows`);
    await running.stop();
  }, 300_000);

  it('E. two directions, A -> B in-process and B -> A over Kafka: no echo either way', async () => {
    const counted = async (
      metric: typeof syncMetrics.eventsApplied | typeof syncMetrics.echoTransactionsSkipped,
      pipeline: string,
    ) =>
      (await metric.get()).values
        .filter((v) => v.labels.pipeline === pipeline)
        .reduce((sum, v) => sum + v.value, 0);
    const table = 'CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)';
    const a = await createTestDatabase(cluster!, 'echo_a');
    const b = await createTestDatabase(cluster!, 'echo_b');
    const aClient = await client(a);
    const bClient = await client(b);
    await aClient.query(table);
    await bClient.query(table);
    const parse = (name: string, input: Json): PipelineDefinition => {
      const parsed = parsePipelineDefinition({ tables: { notes: null }, ...input }, name);
      if (!parsed.success) throw parsed.error;
      slots.push({
        url: input.source.url,
        slot: parsed.data.slot,
        publication: parsed.data.publication,
      });
      return parsed.data;
    };
    const ab = parse('echo-ab', {
      source: { url: a },
      target: { url: b },
      skipAppliedBy: ['echo-ba'],
    });
    const ba = parse('echo-ba', {
      source: { url: b },
      target: { url: a },
      snapshot: { enabled: false },
      skipAppliedBy: ['echo-ab'],
      transport: { kind: 'kafka', brokers: tier!.brokers, topicPrefix: 'echoba' },
    });
    await start(ab);
    await start(ba);
    const row = async (c: pg.Client, id: number) =>
      (await c.query(`SELECT xmin::text AS xmin, body FROM notes WHERE id = $1`, [id])).rows[0] as
        { xmin: string; body: string } | undefined;
    const arrived = async (c: pg.Client, id: number) => {
      const deadline = Date.now() + 90_000;
      while (!(await row(c, id))) {
        if (Date.now() > deadline) throw new Error(`row ${id} did not arrive`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    // A -> B in-process; its commit in B (origin strangler_echo_ab) is skipped by B -> A.
    await aClient.query(`INSERT INTO notes VALUES (1, 'from a')`);
    await arrived(bClient, 1);
    const aRow1 = await row(aClient, 1);
    // B -> A over Kafka (the barrier of the B -> A capture).
    await bClient.query(`INSERT INTO notes VALUES (2, 'from b')`);
    await arrived(aClient, 2);
    const bRow2 = await row(bClient, 2);
    // A -> B again (the barrier of the A -> B capture, past the Kafka apply's commit in A).
    await aClient.query(`INSERT INTO notes VALUES (3, 'from a again')`);
    await arrived(bClient, 3);

    expect(await row(aClient, 1)).toEqual(aRow1);
    expect(await row(bClient, 2)).toEqual(bRow2);
    expect(await counted(syncMetrics.echoTransactionsSkipped, 'echo-ba')).toBeGreaterThan(0);
    expect(await counted(syncMetrics.echoTransactionsSkipped, 'echo-ab')).toBeGreaterThan(0);
    // Counted just after each COMMIT: wait for the count to reach the rows that arrived.
    const events = async (pipeline: string, expected: number) => {
      const deadline = Date.now() + 10_000;
      let value = await counted(syncMetrics.eventsApplied, pipeline);
      while (value < expected && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        value = await counted(syncMetrics.eventsApplied, pipeline);
      }
      return value;
    };
    expect(await events('echo-ab', 2)).toBe(2);
    expect(await events('echo-ba', 1)).toBe(1);
    // The Kafka apply committed under the pipeline's one origin.
    expect(
      (
        await aClient.query(
          `SELECT roname FROM pg_replication_origin WHERE roname LIKE 'strangler\\_echo\\_%' ORDER BY 1`,
        )
      ).rows,
    ).toEqual([{ roname: 'strangler_echo_ab' }, { roname: 'strangler_echo_ba' }]);
  }, 300_000);
});

/** Records of one topic grouped per key in offset order (partitions interleave differently). */
function byKeyOrder<T extends { key: unknown; offset: string }>(records: T[]): T[] {
  const keys: string[] = [];
  const groups = new Map<string, T[]>();
  for (const record of records) {
    const key = JSON.stringify(record.key);
    if (!groups.has(key)) {
      groups.set(key, []);
      keys.push(key);
    }
    groups.get(key)!.push(record);
  }
  return keys.sort().flatMap((k) => groups.get(k) ?? []);
}

/**
 * Where our record differs from Debezium's, minus the documented, legitimate differences:
 * volatile values (LSNs, txIds, clocks, the database name, `sequence`); Debezium 3 fields we do
 * not write (`ts_us`, `ts_ns`, `source.origin`, `source.origin_lsn`); `transaction` (Debezium
 * writes null without provide.transaction.metadata, we always write it); the `__debezium.context.*`
 * headers; `source.version`; value encodings: numeric as text (Debezium: base64 Decimal),
 * timestamptz as PostgreSQL text (Debezium: ISO) compared as instants; and a delete's `before`
 * under REPLICA IDENTITY DEFAULT (we send the key columns, Debezium fills the rest with blanks).
 */
function shapeDifferences(
  at: string,
  ours: Omit<CapturedMessage, 'topic' | 'partition'>,
  theirs: Omit<CapturedMessage, 'topic' | 'partition'>,
  table: string,
): string[] {
  const out: string[] = [];
  const same = (path: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`${at}.${path}: ours ${JSON.stringify(a)} theirs ${JSON.stringify(b)}`);
  };
  same('key', ours.key, theirs.key);
  for (const header of ['__debezium.newkey', '__debezium.oldkey'])
    same(`headers.${header}`, ours.headers[header], theirs.headers[header]);
  if (ours.value === null || theirs.value === null) {
    same('value', ours.value, theirs.value);
    return out;
  }
  const a = ours.value as Json;
  const b = theirs.value as Json;
  const topLevel = (v: Json) =>
    Object.keys(v)
      .filter((k) => !['ts_us', 'ts_ns', 'transaction'].includes(k))
      .sort();
  same('value keys', topLevel(a), topLevel(b));
  same('op', a.op, b.op);
  same('ts_ms type', typeof a.ts_ms, typeof b.ts_ms);
  const sourceKeys = (v: Json) =>
    Object.keys(v.source as Json)
      .filter((k) => !['ts_us', 'ts_ns', 'origin', 'origin_lsn'].includes(k))
      .sort();
  same('source keys', sourceKeys(a), sourceKeys(b));
  for (const field of ['connector', 'snapshot', 'schema', 'table', 'xmin'])
    same(`source.${field}`, a.source[field], b.source[field]);
  for (const field of ['ts_ms', 'txId', 'lsn'])
    same(`source.${field} type`, typeof a.source[field], typeof b.source[field]);
  const keyOnlyDelete = a.op === 'd' && table !== 'cards';
  for (const side of ['before', 'after'] as const) {
    const x = a[side] as Json | null;
    const y = b[side] as Json | null;
    if (x === null || y === null) {
      same(side, x, y);
      continue;
    }
    const columns = keyOnlyDelete && side === 'before' ? Object.keys(x) : Object.keys(y);
    same(`${side} columns`, Object.keys(x).sort(), [...columns].sort());
    for (const column of columns) {
      let theirsValue: unknown = y[column];
      let oursValue: unknown = x[column];
      if (column === 'price') theirsValue = decodeValue(theirsValue, undefined, 'numeric(10,2)');
      if (column === 'created_at') {
        oursValue = Date.parse(String(oursValue).replace(' ', 'T').replace(/\+00$/, 'Z'));
        theirsValue = Date.parse(String(theirsValue));
      }
      same(`${side}.${column}`, oursValue, theirsValue);
    }
  }
  return out;
}
