import pg from 'pg';
import type { Logger } from 'pino';
import type { ChangeEvent } from '../change-event/change-event.js';
import type { CompiledTableMapping } from '../mapping/table-mapping.js';
import { syncMetrics } from '../metrics.js';
import {
  DeadLetterStopError,
  isTransient,
  type ApplyOutcome,
  type ChangeApplier,
  type RowPosition,
} from './change-applier.js';
import { clearPendingCommit, notePendingCommit } from './apply-lag.js';
import { TargetConnection } from './target-connection.js';

/**
 * One target transaction holding a batch of change events (whole source transactions, or a
 * snapshot chunk). Events are applied without savepoints first, which is fast; if one fails, the
 * transaction is rolled back and the batch is applied again with a savepoint per event, so only
 * the failing event is dead-lettered (or, policy `stop`, the batch is abandoned and the event is
 * recorded in a transaction of its own before the error propagates, see `keepCompleted`).
 *
 * Given a TargetConnection (the streaming path), a transient failure of the target (connection
 * lost, server restarting) does not end the batch: the connection is replaced with backoff and
 * every event of the interrupted transaction is applied again in a new one. That is safe even
 * when the lost COMMIT had gone through: the row versions turn the repeat into no-ops. With a
 * plain client (the snapshot path), errors propagate as they are.
 */
export class TargetBatch {
  private events: { event: ChangeEvent; position: RowPosition }[] = [];
  /** Events before this index belong to source transactions that are complete. */
  private boundary = 0;
  private outcomes: { op: string; outcome: ApplyOutcome }[] = [];
  private guarded = false;
  private isOpen = false;
  private readonly connection: TargetConnection | null;
  private readonly plain: pg.ClientBase | null;

  constructor(
    target: pg.ClientBase | TargetConnection,
    private readonly applier: ChangeApplier,
    private readonly pipeline: string,
    private readonly logger: Logger,
  ) {
    this.connection = target instanceof TargetConnection ? target : null;
    this.plain = target instanceof TargetConnection ? null : target;
  }

  /** The client the batch currently writes through (a new one after a reconnect). */
  get client(): pg.ClientBase {
    return this.connection ? this.connection.client : (this.plain as pg.ClientBase);
  }

  get open(): boolean {
    return this.isOpen;
  }

  get size(): number {
    return this.events.length;
  }

  async begin(): Promise<void> {
    if (this.isOpen) return;
    await this.client.query('BEGIN');
    this.isOpen = true;
  }

  async apply(event: ChangeEvent, position: RowPosition): Promise<void> {
    if (event.op !== 'r') notePendingCommit(this.pipeline, event.source.ts_ms);
    this.events.push({ event, position });
    try {
      await this.begin();
      if (!this.guarded) {
        try {
          this.outcomes.push({
            op: event.op,
            outcome: await this.applier.apply(this.client, event, position, false),
          });
          return;
        } catch (error) {
          if (isTransient(error)) throw error;
          await this.applyAllGuarded(error);
          return;
        }
      }
      await this.applyGuarded(event, position);
    } catch (error) {
      await this.recover(error);
    }
  }

  /**
   * Snapshot rows of one table at one position: in one statement when the mapping allows and
   * nothing failed yet in this batch, else event by event.
   */
  async applyReads(
    mapping: CompiledTableMapping,
    events: ChangeEvent[],
    position: RowPosition,
  ): Promise<void> {
    if (this.guarded || !this.applier.canApplyReadsInBulk(mapping)) {
      for (const event of events) await this.apply(event, position);
      return;
    }
    for (const event of events) this.events.push({ event, position });
    try {
      await this.begin();
      const claimed = await this.applier.applyReads(
        this.client,
        mapping,
        events.map((e) => e.after ?? {}),
        position,
      );
      for (let i = 0; i < events.length; i += 1)
        this.outcomes.push({ op: 'r', outcome: i < claimed ? 'applied' : 'skipped' });
    } catch (error) {
      if (isTransient(error)) {
        await this.recover(error);
        return;
      }
      this.logger.debug({ pipeline: this.pipeline, err: error }, 'bulk copy failed, row by row');
      await this.applyAllGuarded(error).catch((failure: unknown) => this.recover(failure));
    }
  }

  /** Rolls back and applies every held event again, each under its own savepoint. */
  private async applyAllGuarded(cause: unknown): Promise<void> {
    this.logger.debug(
      { pipeline: this.pipeline, err: cause },
      'batch failed, applying it event by event',
    );
    await this.client.query('ROLLBACK');
    await this.client.query('BEGIN');
    this.guarded = true;
    this.outcomes = [];
    for (const item of this.events) await this.applyGuarded(item.event, item.position);
  }

  /**
   * After a transient failure: a new connection (with backoff, bounded), a new transaction, and
   * every held event applied again in it. Anything else (and a plain client) rethrows.
   */
  private async recover(error: unknown): Promise<void> {
    const connection = this.connection;
    if (!connection || !isTransient(error)) throw error;
    const startedAt = Date.now();
    let cause = error;
    for (;;) {
      syncMetrics.errors.inc({ pipeline: this.pipeline });
      this.logger.warn(
        { pipeline: this.pipeline, err: cause, events: this.events.length },
        'target transaction interrupted: reconnecting to apply it again',
      );
      this.isOpen = false;
      await connection.reconnect(cause, startedAt);
      try {
        await this.begin();
        this.outcomes = [];
        if (this.guarded) {
          for (const item of this.events) await this.applyGuarded(item.event, item.position);
          return;
        }
        try {
          for (const item of this.events)
            this.outcomes.push({
              op: item.event.op,
              outcome: await this.applier.apply(this.client, item.event, item.position, false),
            });
        } catch (failure) {
          if (isTransient(failure)) throw failure;
          await this.applyAllGuarded(failure);
        }
        return;
      } catch (failure) {
        if (!isTransient(failure)) throw failure;
        cause = failure;
      }
    }
  }

  private async applyGuarded(event: ChangeEvent, position: RowPosition): Promise<void> {
    // DeadLetterStopError propagates with the transaction still open: the caller decides what
    // to keep (`keepCompleted`) before recording the event (`recordStop`).
    const outcome = await this.applier.apply(this.client, event, position, true);
    this.outcomes.push({ op: event.op, outcome });
    if (outcome === 'dead-lettered')
      this.logger.warn(
        {
          pipeline: this.pipeline,
          table: `${event.source.schema}.${event.source.table}`,
          lsn: event.source.lsn,
        },
        'change event dead-lettered',
      );
  }

  /** The source transaction applied so far is complete (its commit message arrived). */
  markBoundary(): void {
    this.boundary = this.events.length;
  }

  /**
   * After a DeadLetterStopError: rolls back and re-applies only the complete source
   * transactions of the batch, leaving the transaction open for the caller to commit. Returns
   * false (and leaves nothing open) when there were none.
   */
  async keepCompleted(): Promise<boolean> {
    const kept = this.events.slice(0, this.boundary);
    await this.rollback();
    if (kept.length === 0) return false;
    this.events = kept;
    this.guarded = true;
    try {
      await this.begin();
      for (const item of kept) await this.applyGuarded(item.event, item.position);
    } catch (error) {
      await this.recover(error);
    }
    this.boundary = this.events.length;
    return true;
  }

  /** Records the event the `stop` policy halted on (in its own transaction). */
  async recordStop(error: DeadLetterStopError): Promise<void> {
    await this.rollback();
    const startedAt = Date.now();
    for (;;) {
      try {
        await this.applier.writeDeadLetter(this.client, error.event, error.reason);
        break;
      } catch (failure) {
        if (!this.connection || !isTransient(failure)) throw failure;
        await this.connection.reconnect(failure, startedAt);
      }
    }
    syncMetrics.deadLetters.inc({ pipeline: this.pipeline });
  }

  /**
   * Runs `last` (bookkeeping, given the live client) inside the transaction, commits, and counts
   * the outcomes. A transient failure, COMMIT included, re-applies the batch and tries again.
   */
  async commit(last?: (client: pg.ClientBase) => Promise<void>): Promise<void> {
    if (!this.isOpen) return;
    for (;;) {
      try {
        await last?.(this.client);
        await this.client.query('COMMIT');
        break;
      } catch (error) {
        await this.recover(error);
      }
    }
    for (const { op, outcome } of this.outcomes) {
      syncMetrics.eventsApplied.inc({ pipeline: this.pipeline, op, outcome });
      if (outcome === 'dead-lettered') syncMetrics.deadLetters.inc({ pipeline: this.pipeline });
    }
    this.reset();
  }

  /** Rolls back (a lost connection has rolled back already: that is not an error). */
  async rollback(): Promise<void> {
    try {
      if (this.isOpen) await this.client.query('ROLLBACK');
    } catch (error) {
      if (!isTransient(error)) throw error;
    } finally {
      this.reset();
    }
  }

  private reset(): void {
    this.isOpen = false;
    this.guarded = false;
    this.events = [];
    this.outcomes = [];
    this.boundary = 0;
    clearPendingCommit(this.pipeline);
  }
}
