import { Kafka, logLevel, type Consumer, type EachBatchPayload, type logCreator } from 'kafkajs';
import pg from 'pg';
import type { Logger } from 'pino';
import {
  DeadLetterStopError,
  isTransient,
  RetryLaterError,
  type ChangeApplier,
  type RowPosition,
} from '../apply/change-applier.js';
import { TargetBatch } from '../apply/target-batch.js';
import type { ChangeEvent } from '../change-event/change-event.js';
import type { CompiledTableMapping } from '../mapping/table-mapping.js';
import { withTransientRetry } from '../apply/transient-retry.js';
import { syncMetrics } from '../metrics.js';
import { commitUnderOrigin, ensureOrigin } from '../apply/replication-origin.js';
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
  /**
   * Foreign keys on the target while applying: `replica` (session_replication_role = replica,
   * not enforced, as PostgreSQL's logical replication does), `wait` (enforced: a violating
   * event waits for its parent), `auto` (default: replica when permitted, else wait).
   */
  foreignKeys?: 'auto' | 'replica' | 'wait';
  /** Called after each committed target transaction with the number of events in it. */
  onCommitted?: (events: number) => void;
  /**
   * The pipeline's replication origin. Batches of different partitions are applied at the same
   * time in different sessions, and an origin is active in one session at a time: their COMMITs
   * take turns, each under the origin (`commitUnderOrigin`).
   */
  origin: string;
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
 * Foreign keys across topics: a child row may arrive before its parent (or a parent's delete
 * before its children's), and a child insert may even arrive after its parent's delete (the
 * child's delete follows on the child's topic): the order of two tables' changes is only
 * eventual. So by default the apply sessions run with `session_replication_role = replica`, as
 * PostgreSQL's own logical replication workers do: foreign keys (and user triggers) are not
 * enforced during apply, and the target converges to the source's consistent state. When the
 * role cannot be set (it needs a superuser or `GRANT SET ON PARAMETER`), or with `foreignKeys:
 * wait`, constraints are checked per statement (`SET CONSTRAINTS ALL IMMEDIATE`; event by event
 * once a batch has failed);
 * when an event violates a foreign key, the events before it are committed (and their offsets),
 * its partition is paused and read again from that event a moment later, while the other
 * partitions go on, for up to `foreignKeyRetryMs`; only then is it applied under the pipeline's
 * dead-letter policy. Since the source committed parent and child in a consistent order, every
 * wait ends once the other topic's consumer has caught up to the same point.
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
  private replicaRole = false;
  /** The COMMIT of the batch before (in this process) under the origin: the next one waits. */
  private originTurn: Promise<void> = Promise.resolve();

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
      // As PostgreSQL's own logical replication apply does: foreign keys (and other triggers)
      // are not enforced while applying, since topics are consumed independently (see above).
      if (this.replicaRole) void client.query(`SET session_replication_role = replica`);
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
    await this.chooseForeignKeyMode();
    // Created outside any transaction: the COMMITs set it up inside theirs.
    const client = new pg.Client({ connectionString: this.options.targetUrl });
    await client.connect();
    try {
      await ensureOrigin(client, this.options.origin);
    } finally {
      await client.end();
    }
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

  /**
   * `session_replication_role = replica` needs a superuser or (PostgreSQL 15+) `GRANT SET ON
   * PARAMETER session_replication_role`; without it, foreign keys are enforced and a violating
   * event waits for its parent (see the class comment).
   */
  private async chooseForeignKeyMode(): Promise<void> {
    const { logger, pipeline } = this.options;
    if (this.options.foreignKeys === 'wait') {
      this.replicaRole = false;
      return;
    }
    const client = new pg.Client({ connectionString: this.options.targetUrl });
    await client.connect();
    try {
      await client.query(`SET session_replication_role = replica`);
      this.replicaRole = true;
    } catch (error) {
      if (this.options.foreignKeys === 'replica') throw error;
      this.replicaRole = false;
      logger.warn(
        { pipeline, err: error },
        'cannot SET session_replication_role = replica on the target: foreign keys are enforced ' +
          'and an event whose parent has not arrived yet waits for it',
      );
    } finally {
      await client.end();
    }
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
    const items: Item[] = [];
    for (const message of batch.messages) {
      const decoded = decodeDebeziumRecord(
        { topic: batch.topic, key: message.key, value: message.value },
        this.columnTypes,
      );
      if (decoded.kind === 'tombstone') continue; // the delete before it did the work
      if (!applier.mappingFor(decoded.event)) continue; // a table this pipeline does not map
      items.push({ event: decoded.event, position: decoded.position, offset: message.offset });
    }
    const partition = `${batch.topic}:${batch.partition}`;
    let retryFrom: string | null = null;
    if (items.length > 0) {
      let result: { retryAt?: number };
      try {
        // One target transaction per try: a deadlock with another partition's session (the
        // search read model's triggers lock parent rows) or a lost connection rolls it back,
        // and the batch is applied again.
        result = await withTransientRetry(
          async () => {
            const client = await this.pool.connect();
            try {
              const applied = await this.applyItems(client, items, partition);
              client.release();
              return applied;
            } catch (error) {
              client.release(isTransient(error) ? (error as Error) : undefined);
              throw error;
            }
          },
          {
            shouldContinue: () => !this.stopped,
            onRetry: (error, attempt, delayMs) =>
              this.options.logger.warn(
                { pipeline, partition, attempt, delayMs, err: error },
                'transient target error: applying the batch again',
              ),
          },
        );
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
      if (result.retryAt !== undefined) retryFrom = items[result.retryAt]?.offset ?? null;
      syncMetrics.transactionsApplied.inc({ pipeline });
      this.options.onCommitted?.(result.retryAt ?? items.length);
    }
    // Offsets only up to what the target committed.
    const next = retryFrom ?? (BigInt(batch.lastOffset()) + 1n).toString();
    if (BigInt(next) > BigInt(batch.firstOffset() ?? next)) {
      payload.resolveOffset((BigInt(next) - 1n).toString());
      await this.consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: next },
      ]);
    }
    if (retryFrom !== null) {
      // The parent row is on another topic and not applied yet: this partition waits from the
      // failing record on while the others go on.
      const resume = payload.pause();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.stopped) return;
        this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: next });
        resume();
      }, 20);
      this.timers.add(timer);
      return;
    }
    for (const key of this.firstFailure.keys())
      if (key.startsWith(`${partition}:`)) this.firstFailure.delete(key);
    await payload.heartbeat();
  }

  /** COMMIT under the pipeline's origin, one session of this process at a time. */
  private async commit(client: pg.ClientBase): Promise<void> {
    const previous = this.originTurn;
    let done: () => void = () => undefined;
    this.originTurn = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await previous;
      await commitUnderOrigin(client, this.options.origin, {
        logger: this.options.logger,
        pipeline: this.options.pipeline,
      });
    } finally {
      done();
    }
  }

  /**
   * One target transaction for the items, through the one apply algorithm (TargetBatch: set-based
   * runs, then guarded halves down to single events, dead letters). Every record stands alone
   * (Kafka has no source transaction boundaries). If one violates a foreign key (its parent not
   * applied yet), the ones before it are committed and `retryAt` names it, until it has waited
   * `foreignKeyRetryMs`; after that it goes under the dead-letter policy.
   */
  private async applyItems(
    client: pg.PoolClient,
    items: Item[],
    partition: string,
  ): Promise<{ retryAt?: number }> {
    const { applier, pipeline, logger } = this.options;
    const offsets = new Map(items.map((item) => [item.event, item.offset]));
    const batch = new TargetBatch(client, applier, pipeline, logger, {
      chunkSize: items.length,
      // Checked per statement, so a violation names the event that has to wait.
      afterBegin: async (c) => {
        await c.query('SET CONSTRAINTS ALL IMMEDIATE');
      },
      commitTransaction: (c) => this.commit(c),
      retryLater: (event, error) => this.waitsForParent(partition, offsets.get(event), error),
    });
    try {
      for (const { event, position } of items) {
        await batch.apply(event, position);
        batch.markBoundary();
      }
      await batch.commit();
      return {};
    } catch (error) {
      if (error instanceof RetryLaterError) {
        const kept = await batch.keepCompleted(error.event);
        if (kept > 0) await batch.commit();
        return { retryAt: kept };
      }
      // Policy "stop": the event is recorded before the pipeline halts (a restart redelivers
      // the batch).
      if (error instanceof DeadLetterStopError) await batch.recordStop(error);
      else await batch.rollback().catch(() => undefined);
      throw error;
    }
  }

  /** A foreign key violation waits for its parent, up to `foreignKeyRetryMs` per record. */
  private waitsForParent(partition: string, offset: string | undefined, error: Error): boolean {
    if (!isForeignKeyViolation(error) || offset === undefined) return false;
    const key = `${partition}:${offset}`;
    const since = this.firstFailure.get(key) ?? Date.now();
    this.firstFailure.set(key, since);
    const waiting = Date.now() - since < (this.options.foreignKeyRetryMs ?? 60_000);
    if (waiting)
      this.options.logger.debug(
        { pipeline: this.options.pipeline, at: key, err: error },
        'foreign key not satisfied yet: retrying from this record later',
      );
    return waiting;
  }
}

interface Item {
  event: ChangeEvent;
  position: RowPosition;
  offset: string;
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
