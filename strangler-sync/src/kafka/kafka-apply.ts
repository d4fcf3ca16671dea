import { Kafka, logLevel, type Consumer, type EachBatchPayload, type logCreator } from 'kafkajs';
import pg from 'pg';
import type { Logger } from 'pino';
import {
  DeadLetterStopError,
  isTransient,
  type ChangeApplier,
  type RowPosition,
} from '../apply/change-applier.js';
import type { ChangeEvent } from '../change-event/change-event.js';
import type { CompiledTableMapping } from '../mapping/table-mapping.js';
import { syncMetrics } from '../metrics.js';
import { decodeDebeziumRecord, type ColumnTypeLookup } from './debezium-record.js';

export interface KafkaApplyOptions {
  pipeline: string;
  brokers: string[];
  groupId: string;
  /** Topics are `<topicPrefix>.<schema>.<table>` of the mapped source tables. */
  topicPrefix: string;
  targetUrl: string;
  mappings: CompiledTableMapping[];
  applier: ChangeApplier;
  logger: Logger;
  /** Partitions applied at the same time, each in its own target connection (default 8). */
  concurrency?: number;
  /**
   * How long a batch that violates a foreign key is retried (its partition paused, the others
   * going on, so the parent row can arrive through its own topic) before the dead-letter policy
   * decides (default 60 s).
   */
  foreignKeyRetryMs?: number;
  /** Called after each committed target transaction with the number of events in it. */
  onCommitted?: (events: number) => void;
}

/** The topic a source table's change events travel on (Debezium's naming). */
export function topicFor(prefix: string, schema: string, table: string): string {
  return `${prefix}.${schema}.${table}`;
}

const FOREIGN_KEY_VIOLATION = '23503';

function isForeignKeyViolation(error: unknown): boolean {
  const cause = error instanceof DeadLetterStopError ? error.reason : error;
  return (cause as { code?: string } | null)?.code === FOREIGN_KEY_VIOLATION;
}

/**
 * The apply side of the Kafka transport: a consumer group member that reads the pipeline's
 * topics (written by the built-in capture or by a real Debezium connector) and applies each
 * fetched batch of one partition in ONE target transaction. Offsets are committed only after that
 * transaction has committed; a crash in between redelivers the batch, and the row-version
 * compare-and-set makes the replay a no-op. Kafka orders records per partition (per key, since
 * producers partition by key), so each row sees its changes in order; across tables and
 * partitions the target is eventually consistent, as with any Debezium consumer.
 *
 * Foreign keys across topics: a child row may arrive before its parent. Each target transaction
 * runs with `SET CONSTRAINTS ALL DEFERRED` (deferrable constraints are checked at commit) and a
 * batch that still violates a foreign key is rolled back, its partition paused and retried
 * later from the same offset while the other partitions go on, for up to `foreignKeyRetryMs`;
 * only then is it applied event by event under the pipeline's dead-letter policy.
 */
export class KafkaChangeApplier {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly pool: pg.Pool;
  private readonly columnTypes: ColumnTypeLookup;
  private readonly firstFailure = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private finished: Promise<void> | null = null;
  private fail: (error: Error) => void = () => undefined;
  private stopped = false;

  constructor(private readonly options: KafkaApplyOptions) {
    this.kafka = new Kafka({
      clientId: `strangler-sync-${options.pipeline}`,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(options.logger),
    });
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: 250,
      retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
    });
    const concurrency = options.concurrency ?? 8;
    this.pool = new pg.Pool({ connectionString: options.targetUrl, max: concurrency });
    this.pool.on('connect', (client) => {
      void client.query(`SET TIME ZONE 'UTC'`);
    });
    this.pool.on('error', () => undefined);
    const types = new Map(
      options.mappings.map((m) => [
        m.sourceName,
        Object.fromEntries(m.source.columns.map((c) => [c.name, c.typeName])),
      ]),
    );
    this.columnTypes = (schema, table) => types.get(`${schema}.${table}`);
  }

  get topics(): string[] {
    return this.options.mappings.map((m) =>
      topicFor(this.options.topicPrefix, m.source.schema, m.source.table),
    );
  }

  /** Joins the group and starts applying; `done` settles on stop() (resolves) or failure. */
  async start(): Promise<{ done: Promise<void> }> {
    const { logger, pipeline } = this.options;
    await this.ensureTopics();
    this.finished = new Promise<void>((resolve, reject) => {
      this.fail = (error) => {
        syncMetrics.errors.inc({ pipeline });
        reject(error);
      };
      this.consumer.on(this.consumer.events.CRASH, (event) => {
        const error = event.payload.error;
        logger.error({ pipeline, err: error }, 'kafka consumer crashed');
        if (!event.payload.restart) this.fail(error);
      });
      this.consumer.on(this.consumer.events.STOP, () => {
        if (this.stopped) resolve();
      });
    });
    this.finished.catch(() => undefined);
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 8,
      eachBatch: (payload) => this.applyBatch(payload),
    });
    logger.info({ pipeline, topics: this.topics, group: this.options.groupId }, 'consuming');
    const done = this.finished.finally(() => this.close());
    return { done };
  }

  /** Finishes the batches in progress (their offsets committed after their targets), then leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.consumer.stop().catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined);
    await this.finished?.catch(() => undefined);
    await this.close();
  }

  private closed = false;
  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer.disconnect().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /** Creates missing topics (broker defaults) and waits until every partition has a leader. */
  private async ensureTopics(timeoutMs = 30_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = this.topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        await admin
          .createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: false })
          .catch((error: unknown) => {
            // Created meanwhile by the connector or another member: fine.
            if (!/already exists/i.test(String(error))) throw error;
          });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const { topics } = await admin.fetchTopicMetadata({ topics: this.topics });
          if (
            topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
          )
            return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        if (Date.now() > deadline)
          throw new Error(`topics ${this.topics.join(', ')} have no leaders`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async applyBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const { applier, pipeline } = this.options;
    const events: { event: ChangeEvent; position: RowPosition }[] = [];
    for (const message of batch.messages) {
      const decoded = decodeDebeziumRecord(
        { topic: batch.topic, key: message.key, value: message.value },
        this.columnTypes,
      );
      if (decoded.kind === 'tombstone') continue; // the delete before it did the work
      if (!applier.mappingFor(decoded.event)) continue; // a table this pipeline does not map
      events.push({ event: decoded.event, position: decoded.position });
    }
    const lastOffset = batch.lastOffset();
    const where = `${batch.topic}:${batch.partition}:${batch.firstOffset() ?? ''}`;
    if (events.length > 0) {
      const client = await this.pool.connect();
      let outcome: 'committed' | 'retry-later';
      try {
        outcome = await this.applyInTransaction(client, events, where);
      } catch (error) {
        client.release(isTransient(error) ? (error as Error) : undefined);
        this.fail(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
      client.release();
      if (outcome === 'retry-later') {
        // The parent row is probably on another topic not applied yet: let the others go on.
        const resume = payload.pause();
        const firstOffset = batch.firstOffset() ?? batch.messages[0]?.offset ?? '0';
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.stopped) return;
          this.consumer.seek({
            topic: batch.topic,
            partition: batch.partition,
            offset: firstOffset,
          });
          resume();
        }, 500);
        this.timers.add(timer);
        return;
      }
      this.firstFailure.delete(where);
      syncMetrics.transactionsApplied.inc({ pipeline });
      this.options.onCommitted?.(events.length);
    }
    payload.resolveOffset(lastOffset);
    await this.consumer.commitOffsets([
      {
        topic: batch.topic,
        partition: batch.partition,
        offset: (BigInt(lastOffset) + 1n).toString(),
      },
    ]);
    await payload.heartbeat();
  }

  /** One target transaction for the batch: fast path, then FK retry, then event by event. */
  private async applyInTransaction(
    client: pg.PoolClient,
    events: { event: ChangeEvent; position: RowPosition }[],
    where: string,
  ): Promise<'committed' | 'retry-later'> {
    const { applier, pipeline } = this.options;
    try {
      await client.query('BEGIN');
      await client.query('SET CONSTRAINTS ALL DEFERRED');
      for (const { event, position } of events) {
        const outcome = await applier.apply(client, event, position, false);
        syncMetrics.eventsApplied.inc({ pipeline, op: event.op, outcome });
      }
      await client.query('COMMIT');
      return 'committed';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (isTransient(error)) throw error;
      if (isForeignKeyViolation(error)) {
        const since = this.firstFailure.get(where) ?? Date.now();
        this.firstFailure.set(where, since);
        if (Date.now() - since < (this.options.foreignKeyRetryMs ?? 60_000)) {
          this.options.logger.debug(
            { pipeline, at: where, err: error },
            'foreign key not satisfied yet: retrying the batch later',
          );
          return 'retry-later';
        }
      }
    }
    // Event by event under savepoints: only the failing event is dead-lettered (or, policy
    // "stop", recorded before the pipeline halts; a restart redelivers the batch).
    try {
      await client.query('BEGIN');
      await client.query('SET CONSTRAINTS ALL IMMEDIATE');
      for (const { event, position } of events) {
        const outcome = await applier.apply(client, event, position, true);
        syncMetrics.eventsApplied.inc({ pipeline, op: event.op, outcome });
        if (outcome === 'dead-lettered') syncMetrics.deadLetters.inc({ pipeline });
      }
      await client.query('COMMIT');
      return 'committed';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof DeadLetterStopError) {
        await applier.writeDeadLetter(client, error.event, error.reason);
        syncMetrics.deadLetters.inc({ pipeline });
      }
      throw error;
    }
  }
}

/** kafkajs log lines → the pipeline's logger (kafkajs is chatty about rebalances). */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...rest } = log as { message: string } & Record<string, unknown>;
      if (
        /coordinator is (not available|loading)|not the correct coordinator/i.test(
          typeof rest.error === 'string' ? rest.error : '',
        )
      )
        return;
      if (level <= logLevel.ERROR) logger.error({ kafka: rest }, message);
      else if (level === logLevel.WARN) logger.warn({ kafka: rest }, message);
      else logger.debug({ kafka: rest }, message);
    };
}
