import type { ChangeEvent } from '../change-event/change-event.js';
import { compareLsn, normaliseLsn, type Lsn } from '../lsn.js';
import { syncMetrics } from '../metrics.js';
import {
  beginTransaction,
  changeEventsFrom,
  noteOrigin,
  type SourceTransaction,
} from './pgoutput-change-events.js';
import type { PgoutputStream } from './pgoutput-stream.js';

/** What the two readers of a slot (the in-process apply, the Kafka capture) act on. */
export type SourceItem =
  | { kind: 'begin'; transaction: SourceTransaction }
  /** The change events of one row message (none for an echo transaction). */
  | { kind: 'changes'; transaction: SourceTransaction; events: ChangeEvent[] }
  | { kind: 'commit'; transaction: SourceTransaction; endLsn: Lsn; commitTime: Date }
  | { kind: 'keepalive'; lsn: Lsn; shouldRespond: boolean }
  | { kind: 'wake' }
  | { kind: 'end' };

export interface SourceTransactionsOptions {
  pipeline: string;
  sourceDb: string;
  /** Source transactions committed under these replication origins yield no change events. */
  skipOrigins: readonly string[];
  /** Called for each such echo transaction, at its commit. */
  onEchoSkipped?: () => void;
}

/**
 * A pgoutput stream read as source transactions: begin, the change events of each row message,
 * commit (with its end LSN); Origin messages mark echo transactions (`skipAppliedBy`), and
 * relation, type and logical messages are consumed here. A stream error is thrown. Also keeps
 * the slot's acknowledgement: `acknowledge` only moves forward unless forced (a keepalive's
 * answer), and `idleAckDue` says when an idle reader should confirm the server's position.
 */
export class SourceTransactions {
  private current: SourceTransaction | null = null;
  private lastAckedLsn: Lsn = '0/0';
  private lastAckAt = 0;

  constructor(
    private readonly stream: PgoutputStream,
    private readonly options: SourceTransactionsOptions,
  ) {}

  /** Starts streaming (resolves once the server accepted START_REPLICATION). */
  start(): Promise<void> {
    return this.stream.start();
  }

  /** Ends the stream: a pending and every later `next()` returns `end`. */
  stop(): Promise<void> {
    return this.stream.stop();
  }

  /** Wakes a pending `next()` with a `wake` item. */
  wake(): void {
    this.stream.wake();
  }

  /** The source transaction being received (between its begin and its commit), if any. */
  get open(): SourceTransaction | null {
    return this.current;
  }

  /** Items received and not yet taken. */
  get backlog(): number {
    return this.stream.backlog;
  }

  /** The last position acknowledged to the server. */
  get acknowledged(): Lsn {
    return this.lastAckedLsn;
  }

  /** An idle reader confirms the server's position at least every 10 s. */
  get idleAckDue(): boolean {
    return Date.now() - this.lastAckAt > 10_000;
  }

  async next(): Promise<SourceItem> {
    const { pipeline, sourceDb } = this.options;
    for (;;) {
      const item = await this.stream.next();
      if (item.kind === 'error') throw item.error;
      if (item.kind === 'wake' || item.kind === 'end') return item;
      if (item.kind === 'keepalive')
        return { kind: 'keepalive', lsn: item.lsn, shouldRespond: item.shouldRespond };
      const message = item.message;
      switch (message.tag) {
        case 'begin':
          this.current = beginTransaction(message);
          return { kind: 'begin', transaction: this.current };
        case 'origin':
          noteOrigin(this.inTransaction(message.tag), message, this.options.skipOrigins);
          continue;
        case 'insert':
        case 'update':
        case 'delete':
        case 'truncate': {
          const transaction = this.inTransaction(message.tag);
          const lsn = normaliseLsn(item.lsn);
          const events = changeEventsFrom(message, lsn, transaction, pipeline, sourceDb);
          return { kind: 'changes', transaction, events };
        }
        case 'commit': {
          const transaction = this.inTransaction(message.tag);
          this.current = null;
          if (transaction.echo) {
            // Applied by a pipeline running the other way: its changes gave no events, and the
            // position moves past it like any transaction.
            syncMetrics.echoTransactionsSkipped.inc({ pipeline });
            this.options.onEchoSkipped?.();
          }
          return {
            kind: 'commit',
            transaction,
            endLsn: normaliseLsn(message.commitEndLsn ?? transaction.commitLsn),
            commitTime: new Date(Number(BigInt(message.commitTime as bigint) / 1000n)),
          };
        }
        default:
          continue; // relation, type, message: the parser keeps what it needs
      }
    }
  }

  /** Acknowledges `lsn` (see PgoutputStream.acknowledge); never backwards unless `force`. */
  async acknowledge(lsn: Lsn, force = false): Promise<void> {
    if (!force && compareLsn(lsn, this.lastAckedLsn) <= 0) return;
    await this.stream.acknowledge(lsn);
    if (compareLsn(lsn, this.lastAckedLsn) > 0) this.lastAckedLsn = lsn;
    this.lastAckAt = Date.now();
  }

  private inTransaction(tag: string): SourceTransaction {
    if (!this.current) throw new Error(`pgoutput ${tag} outside a transaction`);
    return this.current;
  }
}
