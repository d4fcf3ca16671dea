import type { Logger } from 'pino';
import type { ChangeSink, SourceCommit } from '../capture/change-capture.js';
import type { ChangeEvent } from '../change-event/change-event.js';
import type { Lsn } from '../lsn.js';
import { syncMetrics } from '../metrics.js';
import { DeadLetterStopError, type ChangeApplier, type RowPosition } from './change-applier.js';
import { recordAppliedCommit } from './sync-bookkeeping.js';
import { TargetBatch } from './target-batch.js';
import { TargetConnection, type TargetRetryOptions } from './target-connection.js';

export interface TargetSinkOptions {
  pipeline: string;
  targetUrl: string;
  targetSchema: string;
  /** Commit end LSN of the last source transaction applied to the target (target state). */
  appliedLsn: Lsn;
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
}

/**
 * The apply as a sink of the capture (in-process transport): one target transaction holds one
 * or more WHOLE source transactions (TargetBatch), together with the new applied position in
 * `_strangler_sync_state` and the origin's progress; `durable` moves only after that COMMIT.
 * Under the `stop` dead-letter policy, the whole source transactions before the poison one are
 * committed (and become durable) before it halts.
 */
export class TargetSink implements ChangeSink {
  private readonly target: TargetConnection;
  private readonly batch: TargetBatch;
  private appliedLsn: Lsn;
  /** The complete source transactions held, with the batch's size after each. */
  private commits: (SourceCommit & { events: number })[] = [];

  constructor(private readonly options: TargetSinkOptions) {
    this.appliedLsn = options.appliedLsn;
    this.target = new TargetConnection(options.targetUrl, {
      logger: options.logger,
      pipeline: options.pipeline,
      retry: options.targetRetry,
      origin: options.origin,
    });
    this.batch = new TargetBatch(this.target, options.applier, options.pipeline, options.logger);
  }

  async open(): Promise<void> {
    await this.target.connect();
  }

  async close(): Promise<void> {
    await this.target.end();
  }

  get durable(): Lsn {
    return this.appliedLsn;
  }

  get holding(): boolean {
    return this.commits.length > 0;
  }

  get full(): boolean {
    return (
      this.commits.length >= (this.options.maxBatchTransactions ?? 1000) ||
      this.batch.size >= (this.options.maxBatchEvents ?? 10_000)
    );
  }

  async add(event: ChangeEvent, position: RowPosition): Promise<void> {
    await this.batch.apply(event, position).catch((error: unknown) => this.halt(error));
  }

  complete(commit: SourceCommit): void {
    this.batch.markBoundary();
    this.commits.push({ ...commit, events: this.batch.size });
  }

  async flush(): Promise<void> {
    await this.commitHeld().catch((error: unknown) => this.halt(error));
  }

  async discard(): Promise<void> {
    await this.batch.rollback();
    this.commits = [];
  }

  private async commitHeld(): Promise<void> {
    const { pipeline, targetSchema } = this.options;
    const last = this.commits[this.commits.length - 1];
    if (!last) return;
    if (this.batch.open) {
      await this.batch.commit(async (client) => {
        // The origin's progress (pg_replication_origin_status) follows the applied position.
        await recordAppliedCommit(client, targetSchema, pipeline, last.endLsn, last.time, {
          originPosition: true,
        });
      });
      syncMetrics.transactionsApplied.inc({ pipeline });
      this.options.onCommitted?.(last.endLsn);
    }
    // Without events of ours (or echoes only) nothing is written: the position moves on.
    this.appliedLsn = last.endLsn;
    this.commits = [];
  }

  /** Policy `stop`: keep the whole source transactions before the poison one, then halt. */
  private async halt(error: unknown): Promise<never> {
    if (error instanceof DeadLetterStopError) {
      const kept = await this.batch.keepCompleted(error.event);
      this.commits = kept > 0 ? this.commits.filter((c) => c.events <= kept) : [];
      if (kept > 0) await this.commitHeld();
      await this.batch.recordStop(error);
    }
    throw error;
  }
}
