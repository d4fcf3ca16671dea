import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  ChangeCapture,
  type ChangeCaptureOptions,
  type ChangeSink,
  type SourceCommit,
} from '../capture/change-capture.js';
import type { TableInfo } from '../catalog/table-catalog.js';
import type { ChangeEvent } from '../change-event/change-event.js';
import { compareLsn, type Lsn } from '../lsn.js';
import { recordsFor, type KafkaFormat, type OutgoingRecord } from './debezium-messages.js';
import { kafkaLogCreator } from './kafka-apply.js';

export interface KafkaCaptureOptions extends ChangeCaptureOptions {
  brokers: string[];
  topicPrefix: string;
  format: KafkaFormat;
  /** Source tables by `schema.table` (key columns and, with schemas, column types). */
  tables: Map<string, TableInfo>;
  logger: Logger;
  /** Records per producer request, at most, counted at source commits (default 5000). */
  maxBatchRecords?: number;
  onPublished?: (lsn: Lsn) => void;
}

/**
 * The capture side of the Kafka transport: the capture (ChangeCapture) with Kafka as its sink,
 * pgoutput → Debezium-format records. Whole source transactions are sent (several per request
 * when more are already waiting) by an idempotent producer with acks=all; the slot is
 * acknowledged with a transaction's commit end LSN only after Kafka acknowledged every record of
 * it, so Kafka is the durable hand-off. A crash before the acknowledgement republishes those
 * transactions; the apply side's row versions make the duplicates no-ops.
 */
export class KafkaCapturePublisher {
  private readonly sink: KafkaSink;
  private readonly capture: ChangeCapture;

  constructor(options: KafkaCaptureOptions) {
    this.sink = new KafkaSink(options);
    this.capture = new ChangeCapture(options, this.sink);
  }

  /** Commit end LSN of the last source transaction Kafka has acknowledged. */
  get published(): Lsn {
    return this.sink.durable;
  }

  start(): Promise<{ done: Promise<void> }> {
    return this.capture.start();
  }

  /** Stops at the next source transaction boundary, after publishing what is complete. */
  stop(graceMs = 5000): Promise<void> {
    return this.capture.stop(graceMs);
  }
}

/** Kafka as the capture's sink: records of complete source transactions, sent in batches. */
class KafkaSink implements ChangeSink {
  private readonly producer: Producer;
  private publishedLsn: Lsn;
  private receiving: OutgoingRecord[] = []; // the source transaction being received
  private ready: OutgoingRecord[] = []; // complete transactions not sent yet
  private readyLsn: Lsn | null = null;

  constructor(private readonly options: KafkaCaptureOptions) {
    this.publishedLsn = options.startLsn;
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

  async open(): Promise<void> {
    await this.producer.connect();
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  get durable(): Lsn {
    return this.publishedLsn;
  }

  get holding(): boolean {
    return this.readyLsn !== null;
  }

  get full(): boolean {
    return this.ready.length >= (this.options.maxBatchRecords ?? 5000);
  }

  add(event: ChangeEvent): Promise<void> {
    const table = this.options.tables.get(`${event.source.schema}.${event.source.table}`);
    if (table)
      this.receiving.push(
        ...recordsFor(event, table, this.options.topicPrefix, this.options.format),
      );
    return Promise.resolve();
  }

  complete(commit: SourceCommit): void {
    this.ready.push(...this.receiving);
    this.receiving = [];
    if (compareLsn(commit.endLsn, this.publishedLsn) > 0) this.readyLsn = commit.endLsn;
  }

  async flush(): Promise<void> {
    if (this.ready.length > 0) await this.send(this.ready);
    this.ready = [];
    if (this.readyLsn) {
      this.publishedLsn = this.readyLsn;
      this.options.onPublished?.(this.readyLsn);
      this.readyLsn = null;
    }
  }

  discard(): Promise<void> {
    this.receiving = [];
    this.ready = [];
    this.readyLsn = null;
    return Promise.resolve();
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
