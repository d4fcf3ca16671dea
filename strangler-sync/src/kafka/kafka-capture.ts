import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { PgoutputStream } from '../capture/pgoutput-stream.js';
import { SourceTransactions } from '../capture/source-transactions.js';
import type { TableInfo } from '../catalog/table-catalog.js';
import { compareLsn, maxLsn, type Lsn } from '../lsn.js';
import { syncMetrics } from '../metrics.js';
import { recordsFor, type KafkaFormat, type OutgoingRecord } from './debezium-messages.js';
import { kafkaLogCreator } from './kafka-apply.js';

export interface KafkaCaptureOptions {
  pipeline: string;
  sourceUrl: string;
  sourceDb: string;
  slot: string;
  publication: string;
  startLsn: Lsn;
  brokers: string[];
  topicPrefix: string;
  format: KafkaFormat;
  /** Source tables by `schema.table` (key columns and, with schemas, column types). */
  tables: Map<string, TableInfo>;
  logger: Logger;
  /** Records per producer request, at most, counted at source commits (default 5000). */
  maxBatchRecords?: number;
  onPublished?: (lsn: Lsn) => void;
  /** Source transactions committed under these replication origins are not published. */
  skipOrigins: readonly string[];
  onEchoSkipped?: () => void;
}

/**
 * The capture side of the Kafka transport: pgoutput → Debezium-format records on Kafka. Whole
 * source transactions are sent (several per request when more are already waiting) by an
 * idempotent producer with acks=all; the slot is acknowledged with a transaction's commit end LSN
 * only after Kafka acknowledged every record of it, so Kafka is the durable hand-off. A crash
 * before the acknowledgement republishes those transactions; the apply side's row versions make
 * the duplicates no-ops.
 */
export class KafkaCapturePublisher {
  private readonly stream: PgoutputStream;
  private readonly producer: Producer;
  private stopRequested = false;
  private publishedLsn: Lsn;
  private readonly source: SourceTransactions;
  private finished: Promise<void> | null = null;

  constructor(private readonly options: KafkaCaptureOptions) {
    this.publishedLsn = options.startLsn;
    this.stream = new PgoutputStream({
      sourceUrl: options.sourceUrl,
      slot: options.slot,
      publication: options.publication,
      startLsn: options.startLsn,
    });
    this.source = new SourceTransactions(this.stream, {
      pipeline: options.pipeline,
      sourceDb: options.sourceDb,
      skipOrigins: options.skipOrigins,
      onEchoSkipped: options.onEchoSkipped,
    });
    const kafka = new Kafka({
      clientId: `strangler-sync-${options.pipeline}-capture`,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(options.logger),
    });
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
    });
  }

  /** Commit end LSN of the last source transaction Kafka has acknowledged. */
  get published(): Lsn {
    return this.publishedLsn;
  }

  async start(): Promise<{ done: Promise<void> }> {
    await this.producer.connect();
    try {
      await this.stream.start();
    } catch (error) {
      await this.producer.disconnect();
      throw error;
    }
    this.finished = this.run().finally(async () => {
      await this.stream.stop().catch(() => undefined);
      await this.producer.disconnect().catch(() => undefined);
    });
    return { done: this.finished };
  }

  /** Stops at the next source transaction boundary, after publishing what is complete. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopRequested = true;
    this.stream.wake();
    const timer = setTimeout(() => void this.stream.stop(), graceMs);
    try {
      await this.finished;
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    const { pipeline } = this.options;
    const maxRecords = this.options.maxBatchRecords ?? 5000;
    const source = this.source;
    let open: OutgoingRecord[] = []; // the source transaction being received
    let ready: OutgoingRecord[] = []; // complete transactions not sent yet
    let readyLsn: Lsn | null = null;

    const flush = async () => {
      if (ready.length > 0) await this.send(ready);
      ready = [];
      if (readyLsn) {
        this.publishedLsn = readyLsn;
        this.options.onPublished?.(readyLsn);
        readyLsn = null;
      }
      await source.acknowledge(this.publishedLsn);
    };

    try {
      for (;;) {
        if (this.stopRequested && !source.open) {
          await flush();
          return;
        }
        if (!source.open && readyLsn && source.backlog === 0) await flush();
        const item = await source.next();
        if (item.kind === 'wake') continue;
        if (item.kind === 'end') {
          if (!this.stopRequested) throw new Error('the replication stream ended unexpectedly');
          if (!source.open) await flush(); // a half-received transaction is dropped: it is replayed
          return;
        }
        if (item.kind === 'keepalive') {
          if (!source.open && readyLsn) await flush();
          if (!source.open && !readyLsn) {
            const idleAt = maxLsn(this.publishedLsn, item.lsn);
            if (item.shouldRespond || source.idleAckDue) await source.acknowledge(idleAt, true);
          } else if (item.shouldRespond) {
            await source.acknowledge(this.publishedLsn, true);
          }
          continue;
        }
        if (item.kind === 'begin') {
          open = [];
          continue;
        }
        if (item.kind === 'changes') {
          for (const event of item.events) {
            const table = this.options.tables.get(`${event.source.schema}.${event.source.table}`);
            if (!table) continue;
            open.push(...recordsFor(event, table, this.options.topicPrefix, this.options.format));
          }
          continue;
        }
        // commit (an echo transaction has no records, and its position is published too)
        ready.push(...open);
        open = [];
        if (compareLsn(item.endLsn, this.publishedLsn) > 0) readyLsn = item.endLsn;
        if (source.backlog === 0 || this.stopRequested || ready.length >= maxRecords) await flush();
      }
    } catch (error) {
      syncMetrics.errors.inc({ pipeline });
      throw error;
    }
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const record of records) {
      const messages = byTopic.get(record.topic) ?? [];
      messages.push({ key: record.key, value: record.value, headers: record.headers });
      byTopic.set(record.topic, messages);
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }
}
