import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  beginTransaction,
  changeEventsFrom,
  noteOrigin,
  type SourceTransaction,
} from '../capture/pgoutput-change-events.js';
import { PgoutputStream } from '../capture/pgoutput-stream.js';
import type { TableInfo } from '../catalog/table-catalog.js';
import { compareLsn, maxLsn, normaliseLsn, type Lsn } from '../lsn.js';
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
  private lastAckedLsn: Lsn = '0/0';
  private lastAckAt = 0;
  private finished: Promise<void> | null = null;

  constructor(private readonly options: KafkaCaptureOptions) {
    this.publishedLsn = options.startLsn;
    this.stream = new PgoutputStream({
      sourceUrl: options.sourceUrl,
      slot: options.slot,
      publication: options.publication,
      startLsn: options.startLsn,
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
    let source: SourceTransaction | null = null;
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
      await this.ack(this.publishedLsn);
    };

    try {
      for (;;) {
        if (this.stopRequested && !source) {
          await flush();
          return;
        }
        if (!source && readyLsn && this.stream.backlog === 0) await flush();
        const item = await this.stream.next();
        if (item.kind === 'wake') continue;
        if (item.kind === 'end') {
          if (!this.stopRequested) throw new Error('the replication stream ended unexpectedly');
          if (!source) await flush(); // a half-received transaction is dropped: it is replayed
          return;
        }
        if (item.kind === 'error') throw item.error;
        if (item.kind === 'keepalive') {
          if (!source && readyLsn) await flush();
          if (!source && !readyLsn) {
            const idleAt = maxLsn(this.publishedLsn, item.lsn);
            if (item.shouldRespond || Date.now() - this.lastAckAt > 10_000)
              await this.ack(idleAt, true);
          } else if (item.shouldRespond) {
            await this.ack(this.publishedLsn, true);
          }
          continue;
        }
        const message = item.message;
        switch (message.tag) {
          case 'begin':
            source = beginTransaction(message);
            open = [];
            break;
          case 'origin':
            if (!source) throw new Error('pgoutput origin outside a transaction');
            noteOrigin(source, message, this.options.skipOrigins);
            break;
          case 'insert':
          case 'update':
          case 'delete':
          case 'truncate': {
            if (!source) throw new Error(`pgoutput ${message.tag} outside a transaction`);
            for (const event of changeEventsFrom(
              message,
              normaliseLsn(item.lsn),
              source,
              pipeline,
              this.options.sourceDb,
            )) {
              const table = this.options.tables.get(`${event.source.schema}.${event.source.table}`);
              if (!table) continue;
              open.push(...recordsFor(event, table, this.options.topicPrefix, this.options.format));
            }
            break;
          }
          case 'commit': {
            if (!source) throw new Error('pgoutput commit outside a transaction');
            const endLsn = normaliseLsn(message.commitEndLsn ?? source.commitLsn);
            if (source.echo) {
              // Applied by the pipeline running the other way: nothing published (its changes
              // gave no records), the slot still moves past it.
              syncMetrics.echoTransactionsSkipped.inc({ pipeline });
              this.options.onEchoSkipped?.();
            }
            source = null;
            ready.push(...open);
            open = [];
            if (compareLsn(endLsn, this.publishedLsn) > 0) readyLsn = endLsn;
            if (this.stream.backlog === 0 || this.stopRequested || ready.length >= maxRecords)
              await flush();
            break;
          }
          default:
            break;
        }
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

  private async ack(lsn: Lsn, force = false): Promise<void> {
    if (!force && compareLsn(lsn, this.lastAckedLsn) <= 0) return;
    await this.stream.acknowledge(lsn);
    if (compareLsn(lsn, this.lastAckedLsn) > 0) this.lastAckedLsn = lsn;
    this.lastAckAt = Date.now();
  }
}
