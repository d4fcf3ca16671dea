import type { Logger } from 'pino';
import { DeadLetterStopError, type ChangeApplier } from '../apply/change-applier.js';
import { TargetBatch } from '../apply/target-batch.js';
import { recordAppliedCommit } from '../apply/sync-bookkeeping.js';
import { TargetConnection, type TargetRetryOptions } from '../apply/target-connection.js';
import { recordOriginPosition } from '../apply/replication-origin.js';
import { PgoutputStream } from '../capture/pgoutput-stream.js';
import { SourceTransactions } from '../capture/source-transactions.js';
import { compareLsn, maxLsn, type Lsn } from '../lsn.js';
import { syncMetrics } from '../metrics.js';

export interface StreamChangesOptions {
  pipeline: string;
  sourceUrl: string;
  sourceDb: string;
  targetUrl: string;
  targetSchema: string;
  slot: string;
  publication: string;
  /** Commit end LSN of the last source transaction applied to the target (target state). */
  appliedLsn: Lsn;
  /** Where to start reading: max(slot confirmed_flush, appliedLsn). */
  startLsn: Lsn;
  applier: ChangeApplier;
  logger: Logger;
  /** Whole source transactions per target transaction, at most (default 1000). */
  maxBatchTransactions?: number;
  /** Change events per target transaction, at most, counted at source commits (default 10000). */
  maxBatchEvents?: number;
  onCommitted?: (appliedLsn: Lsn) => void;
  /** Reconnect-with-backoff bounds for a target outage (see TargetConnection). */
  targetRetry?: TargetRetryOptions;
  /** Replication origin the target transactions are committed under (echo suppression). */
  origin: string;
  /** Source transactions committed under these origins (or suffixed forms) are skipped. */
  skipOrigins: readonly string[];
  /** Called for each skipped echo transaction. */
  onEchoSkipped?: () => void;
}

/**
 * Streams the slot into the target: one target transaction holds one or more WHOLE source
 * transactions (several when more are already waiting, so a burst costs fewer commits), together
 * with the new applied position in `_strangler_sync_state`. Only after that COMMIT is the slot
 * acknowledged, with the commit end LSN of the last source transaction in it.
 *
 * A crash at any point leaves the target at a source transaction boundary; on restart the
 * stream resumes from max(slot confirmed_flush, target applied LSN): transactions already in the
 * target are skipped whole (their commit LSN is before the applied LSN), and any row the replay
 * still touches is guarded by its row version.
 */
export class ChangeStreamer {
  private readonly stream: PgoutputStream;
  private readonly target: TargetConnection;
  private stopRequested = false;
  private appliedLsn: Lsn;
  private readonly source: SourceTransactions;
  private finished: Promise<void> | null = null;

  constructor(private readonly options: StreamChangesOptions) {
    this.appliedLsn = options.appliedLsn;
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
    this.target = new TargetConnection(options.targetUrl, {
      logger: options.logger,
      pipeline: options.pipeline,
      retry: options.targetRetry,
      origin: options.origin,
    });
  }

  get applied(): Lsn {
    return this.appliedLsn;
  }

  /** Connects and starts streaming; `done` settles when it ends (stop or failure). */
  async start(): Promise<{ done: Promise<void> }> {
    await this.target.connect();
    try {
      await this.stream.start();
    } catch (error) {
      await this.target.end();
      throw error;
    }
    this.finished = this.run().finally(async () => {
      await this.stream.stop().catch(() => undefined);
      await this.target.end().catch(() => undefined);
    });
    return { done: this.finished };
  }

  /**
   * Stops at the next source transaction boundary (what is batched is committed and
   * acknowledged); after `graceMs` a half-received source transaction is rolled back instead.
   */
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
    const { applier, pipeline } = this.options;
    const maxTransactions = this.options.maxBatchTransactions ?? 1000;
    const maxEvents = this.options.maxBatchEvents ?? 10_000;
    const source = this.source;
    let skipping = false;
    /** The source transactions the batch holds, completed (with its size after each). */
    let commits: { events: number; endLsn: Lsn; time: Date }[] = [];
    const batch = new TargetBatch(this.target, applier, pipeline, this.options.logger);

    const rollback = async () => {
      await batch.rollback();
      commits = [];
    };
    const flush = async () => {
      const committed = commits[commits.length - 1];
      if (batch.open && committed) {
        await batch.commit(async (client) => {
          await recordAppliedCommit(
            client,
            this.options.targetSchema,
            pipeline,
            committed.endLsn,
            committed.time,
          );
          // The origin's progress (pg_replication_origin_status) follows the applied position.
          await recordOriginPosition(client, committed.endLsn, committed.time);
        });
        this.appliedLsn = committed.endLsn;
        syncMetrics.transactionsApplied.inc({ pipeline });
        this.options.onCommitted?.(this.appliedLsn);
      }
      commits = [];
      await source.acknowledge(this.appliedLsn);
    };
    /** Policy `stop`: keep the whole source transactions before the poison one, then halt. */
    const halt = async (error: unknown): Promise<never> => {
      if (error instanceof DeadLetterStopError) {
        const kept = await batch.keepCompleted(error.event);
        commits = kept > 0 ? commits.filter((c) => c.events <= kept) : [];
        if (kept > 0) await flush();
        await batch.recordStop(error);
      }
      throw error;
    };
    const commitHeld = () => flush().catch(halt);

    try {
      for (;;) {
        if (this.stopRequested && !source.open) {
          await commitHeld();
          return;
        }
        // A batch is only held open while more is already waiting: never across an idle wait.
        if (!source.open && commits.length > 0 && source.backlog === 0) await commitHeld();
        const item = await source.next();
        if (item.kind === 'wake') continue;
        if (item.kind === 'end') {
          if (!this.stopRequested) throw new Error('the replication stream ended unexpectedly');
          // Stopped: a half-applied source transaction is rolled back (it will be replayed).
          if (source.open) await rollback();
          else await commitHeld();
          return;
        }
        if (item.kind === 'keepalive') {
          if (!source.open && commits.length > 0) await commitHeld();
          if (!source.open && !batch.open) {
            // Everything the server sent before this keepalive is applied: its position can be
            // confirmed, so WAL of unrelated tables does not pile up behind the slot.
            const idleAt = maxLsn(this.appliedLsn, item.lsn);
            if (item.shouldRespond || source.idleAckDue) await source.acknowledge(idleAt, true);
          } else if (item.shouldRespond) {
            await source.acknowledge(this.appliedLsn, true);
          }
          continue;
        }
        if (item.kind === 'begin') {
          // Applied already (the target committed it, the slot had not been told yet).
          skipping = compareLsn(item.transaction.commitLsn, this.appliedLsn) < 0;
          continue;
        }
        if (item.kind === 'changes') {
          if (skipping) continue;
          const lsn = item.transaction.commitLsn;
          for (const event of item.events)
            await batch.apply(event, { lsn, seq: event.transaction?.total_order ?? 0 }).catch(halt);
          continue;
        }
        // commit
        if (skipping) {
          skipping = false;
          continue;
        }
        if (!batch.open) {
          // Nothing of ours in it (or an echo): nothing to write, the position can be confirmed
          // when idle.
          if (compareLsn(item.endLsn, this.appliedLsn) > 0 && commits.length === 0)
            this.appliedLsnIdle(item.endLsn);
          continue;
        }
        batch.markBoundary();
        commits.push({ events: batch.size, endLsn: item.endLsn, time: item.commitTime });
        if (
          source.backlog === 0 ||
          this.stopRequested ||
          commits.length >= maxTransactions ||
          batch.size >= maxEvents
        )
          await commitHeld();
      }
    } catch (error) {
      syncMetrics.errors.inc({ pipeline });
      await rollback().catch(() => undefined);
      throw error;
    }
  }

  /** A transaction without changes for this pipeline: the slot may move past it. */
  private appliedLsnIdle(endLsn: Lsn): void {
    if (compareLsn(endLsn, this.source.acknowledged) > 0) void this.source.acknowledge(endLsn);
  }
}
