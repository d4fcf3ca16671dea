import type { RowPosition } from '../apply/change-applier.js';
import type { ChangeEvent } from '../change-event/change-event.js';
import { compareLsn, maxLsn, type Lsn } from '../lsn.js';
import { syncMetrics } from '../metrics.js';
import { PgoutputStream } from './pgoutput-stream.js';
import { SourceTransactions } from './source-transactions.js';

/** The commit of a source transaction: its end LSN (what the slot is acknowledged with). */
export interface SourceCommit {
  endLsn: Lsn;
  time: Date;
}

/**
 * Where captured change events go: the apply (target transactions, `apply/target-sink.ts`) or
 * Kafka (`kafka/kafka-capture.ts`). The capture hands it whole source transactions and
 * acknowledges the slot only with what the sink has made durable.
 */
export interface ChangeSink {
  /** Connects (before the stream starts). */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Commit end LSN of the last source transaction made durable (applied, or in Kafka). */
  readonly durable: Lsn;
  /** True while it holds complete source transactions not yet made durable. */
  readonly holding: boolean;
  /** True when what it holds should be made durable now (its batch limits). */
  readonly full: boolean;
  /** A change event of the source transaction being received, at its row position. */
  add(event: ChangeEvent, position: RowPosition): Promise<void>;
  /** The source transaction received so far is complete (also one without events). */
  complete(commit: SourceCommit): void;
  /** Makes every complete source transaction held durable; moves `durable`. */
  flush(): Promise<void>;
  /** Drops everything held (it is not acknowledged, so the slot sends it again). */
  discard(): Promise<void>;
}

export interface ChangeCaptureOptions {
  pipeline: string;
  sourceUrl: string;
  sourceDb: string;
  slot: string;
  publication: string;
  /** Where to start reading: max(slot confirmed_flush, what the sink has made durable). */
  startLsn: Lsn;
  /** Source transactions committed under these origins (or suffixed forms) are skipped. */
  skipOrigins: readonly string[];
  /** Called for each skipped echo transaction. */
  onEchoSkipped?: () => void;
  /**
   * How long complete source transactions are held for more to join them while more keep
   * arriving (default 50 ms): a steady stream must not wait for a full batch.
   */
  maxBatchDelayMs?: number;
}

/** What the capture reads: the slot as source transactions (SourceTransactions). */
export type SourceReader = Pick<
  SourceTransactions,
  'start' | 'stop' | 'wake' | 'next' | 'open' | 'backlog' | 'acknowledge' | 'idleAckDue'
>;

/**
 * THE capture: reads the slot (pgoutput) as source transactions and hands them, whole, to a
 * sink; several at a time when more are already waiting (a burst costs fewer target commits or
 * producer requests), never held across an idle wait nor longer than `maxBatchDelayMs`. The slot is acknowledged only with the
 * commit end LSN of the last source transaction the sink has made durable.
 *
 * A crash at any point loses nothing: on restart the stream resumes from max(slot
 * confirmed_flush, the sink's durable position); transactions the sink made durable but the
 * slot had not been told about are skipped whole (their commit LSN is before it), and the row
 * versions make any other replay a no-op.
 */
export class ChangeCapture {
  private readonly source: SourceReader;
  private stopRequested = false;
  private finished: Promise<void> | null = null;

  /** `source` defaults to the slot of `options` read through pgoutput. */
  constructor(
    private readonly options: ChangeCaptureOptions,
    private readonly sink: ChangeSink,
    source?: SourceReader,
    private readonly now: () => number = Date.now,
  ) {
    this.source =
      source ??
      new SourceTransactions(
        new PgoutputStream({
          sourceUrl: options.sourceUrl,
          slot: options.slot,
          publication: options.publication,
          startLsn: options.startLsn,
        }),
        {
          pipeline: options.pipeline,
          sourceDb: options.sourceDb,
          skipOrigins: options.skipOrigins,
          onEchoSkipped: options.onEchoSkipped,
        },
      );
  }

  /** Opens the sink and starts streaming; `done` settles when it ends (stop or failure). */
  async start(): Promise<{ done: Promise<void> }> {
    await this.sink.open();
    try {
      await this.source.start();
    } catch (error) {
      await this.sink.close();
      throw error;
    }
    this.finished = this.run().finally(async () => {
      await this.source.stop().catch(() => undefined);
      await this.sink.close().catch(() => undefined);
    });
    return { done: this.finished };
  }

  /**
   * Stops at the next source transaction boundary (what is held is made durable and
   * acknowledged); after `graceMs` a half-received source transaction is dropped instead.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.stopRequested = true;
    this.source.wake();
    const timer = setTimeout(() => void this.source.stop(), graceMs);
    try {
      await this.finished;
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    const { sink, source } = this;
    const maxDelayMs = this.options.maxBatchDelayMs ?? 50;
    let skipping = false;
    /** When the oldest complete source transaction the sink holds was completed. */
    let heldSince = 0;
    const flush = async () => {
      await sink.flush();
      await source.acknowledge(sink.durable);
    };
    // More waiting joins the batch (fewer target commits), but for at most maxDelayMs: a steady
    // stream always has something waiting, and must not wait for a full batch.
    const batchDue = () => source.backlog === 0 || this.now() - heldSince >= maxDelayMs;
    try {
      for (;;) {
        if (this.stopRequested && !source.open) {
          await flush();
          return;
        }
        // A batch is only held while more is already waiting: never across an idle wait.
        if (!source.open && sink.holding && batchDue()) await flush();
        const item = await source.next();
        if (item.kind === 'wake') continue;
        if (item.kind === 'end') {
          if (!this.stopRequested) throw new Error('the replication stream ended unexpectedly');
          // Stopped: a half-received source transaction is dropped (it will be replayed).
          if (source.open) await sink.discard();
          else await flush();
          return;
        }
        if (item.kind === 'keepalive') {
          // The server sends one after nearly every transaction while it keeps up: it is a
          // moment to make the batch durable only when the batch is due anyway.
          if (!source.open && sink.holding && batchDue()) await flush();
          if (!source.open && !sink.holding) {
            // Everything the server sent before this keepalive is durable: its position can be
            // confirmed, so WAL of unrelated tables does not pile up behind the slot.
            const idleAt = maxLsn(sink.durable, item.lsn);
            if (item.shouldRespond || source.idleAckDue) await source.acknowledge(idleAt, true);
          } else if (item.shouldRespond) {
            await source.acknowledge(sink.durable, true);
          }
          continue;
        }
        if (item.kind === 'begin') {
          // Durable already (the sink has it, the slot had not been told yet).
          skipping = compareLsn(item.transaction.commitLsn, sink.durable) < 0;
          continue;
        }
        if (item.kind === 'changes') {
          if (skipping) continue;
          const lsn = item.transaction.commitLsn;
          for (const event of item.events)
            await sink.add(event, { lsn, seq: event.transaction?.total_order ?? 0 });
          continue;
        }
        // commit (an echo transaction has no events; its position moves on like any other)
        if (skipping) {
          skipping = false;
          continue;
        }
        if (!sink.holding) heldSince = this.now();
        sink.complete({ endLsn: item.endLsn, time: item.commitTime });
        if (batchDue() || this.stopRequested || sink.full) await flush();
      }
    } catch (error) {
      syncMetrics.errors.inc({ pipeline: this.options.pipeline });
      await sink.discard().catch(() => undefined);
      // What the sink made durable before failing (e.g. the whole source transactions before a
      // dead letter under `stop`) is acknowledged.
      await source.acknowledge(sink.durable).catch(() => undefined);
      throw error;
    }
  }
}
