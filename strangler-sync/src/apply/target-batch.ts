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
  type PositionedEvent,
  type RetryLater,
  type RowPosition,
} from './change-applier.js';
import { clearPendingCommit, notePendingCommit } from './apply-lag.js';
import { TargetConnection } from './target-connection.js';

export interface TargetBatchOptions {
  /**
   * Events held before they are written, set-based, into the open transaction (default 2000).
   * Everything held is written at the latest at `commit`.
   */
  chunkSize?: number;
  /** Runs after each BEGIN (the Kafka apply: SET CONSTRAINTS ALL IMMEDIATE). */
  afterBegin?: (client: pg.ClientBase) => Promise<void>;
  /** Commits the open transaction (default `COMMIT`; the Kafka apply: under its origin). */
  commitTransaction?: (client: pg.ClientBase) => Promise<void>;
  /** In the event-by-event pass, errors that wait (RetryLaterError) instead of a dead letter. */
  retryLater?: RetryLater;
}

/** Below this many events, the event-by-event pass no longer splits a failing run. */
const SMALLEST_RUN = 8;

/**
 * THE apply algorithm, for every transport (in-process stream, Kafka consumer) and the initial
 * load: one target transaction holding a batch of change events (whole source transactions, a
 * Kafka partition's fetched records, or a snapshot chunk).
 *
 * 1. Events are held and written in runs, set-based (`ChangeApplier.applyMany`: one statement
 *    per table and kind per run), once `chunkSize` are held and at `commit`. An event that
 *    cannot be written set-based (truncate, filter or derived columns, unchanged TOAST) is
 *    written alone, between the runs, so the source order holds across runs.
 * 2. If anything fails (constraint, type, or an order the set-based run cannot keep), the
 *    transaction is rolled back and every held event applied again, guarded: a run is tried
 *    set-based under a savepoint and, when it fails, split in halves, down to single events
 *    under a savepoint each (in source order); only the failing event is dead-lettered (policy
 *    `continue`), or the batch halts before it (`stop`: DeadLetterStopError, see
 *    `keepCompleted` and `recordStop`), or (`retryLater`) it is left for later.
 * 3. Given a TargetConnection (the streaming path), a transient failure of the target
 *    (connection lost, server restarting) does not end the batch: the connection is replaced
 *    with backoff and every held event is applied again in a new transaction. That is safe even
 *    when the lost COMMIT had gone through: the row versions turn the repeat into no-ops. With a
 *    plain client (the snapshot path, the Kafka apply), errors propagate as they are.
 *
 * While it holds streamed events, the batch counts toward the pipeline's lag (apply-lag.ts).
 */
export class TargetBatch {
  private events: PositionedEvent[] = [];
  /** How many of `events` are written in the open transaction (a prefix). */
  private written = 0;
  /** Event counts at the end of each complete source transaction held (`markBoundary`). */
  private boundaries: number[] = [];
  private outcomes: ApplyOutcome[] = [];
  private guarded = false;
  private isOpen = false;
  private readonly connection: TargetConnection | null;
  private readonly plain: pg.ClientBase | null;
  private readonly chunkSize: number;

  constructor(
    target: pg.ClientBase | TargetConnection,
    private readonly applier: ChangeApplier,
    private readonly pipeline: string,
    private readonly logger: Logger,
    private readonly options: TargetBatchOptions = {},
  ) {
    this.connection = target instanceof TargetConnection ? target : null;
    this.plain = target instanceof TargetConnection ? null : target;
    this.chunkSize = options.chunkSize ?? 2000;
  }

  /** The client the batch currently writes through (a new one after a reconnect). */
  get client(): pg.ClientBase {
    return this.connection ? this.connection.client : (this.plain as pg.ClientBase);
  }

  /** True while the batch holds events or an open transaction. */
  get open(): boolean {
    return this.isOpen || this.events.length > 0;
  }

  get size(): number {
    return this.events.length;
  }

  async begin(): Promise<void> {
    if (this.isOpen) return;
    await this.client.query('BEGIN');
    this.isOpen = true;
    await this.options.afterBegin?.(this.client);
  }

  /** Holds the event; writes what is held once `chunkSize` events wait. */
  async apply(event: ChangeEvent, position: RowPosition): Promise<void> {
    if (event.op !== 'r') notePendingCommit(this.pipeline, this, event.source.ts_ms);
    this.events.push({ event, position });
    if (this.events.length - this.written >= this.chunkSize) await this.writeHeld();
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
      await this.writeHeld();
      return;
    }
    await this.writeHeld();
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
        this.outcomes[this.written + i] = i < claimed ? 'applied' : 'skipped';
      this.written = this.events.length;
    } catch (error) {
      if (isTransient(error)) {
        await this.recover(error);
        return;
      }
      this.logger.debug({ pipeline: this.pipeline, err: error }, 'bulk copy failed, row by row');
      await this.rewriteGuarded(error).catch((failure: unknown) => this.recover(failure));
    }
  }

  /** Writes every held event into the open transaction (opening it). */
  private async writeHeld(): Promise<void> {
    try {
      await this.writeFromWritten();
    } catch (error) {
      await this.recover(error);
    }
  }

  /**
   * Writes the held events not written yet: set-based runs (or, guarded, `writeGuarded`) and
   * the events that must go alone. A non-transient failure of the unguarded pass rewrites the
   * whole batch guarded.
   */
  private async writeFromWritten(): Promise<void> {
    await this.begin();
    while (this.written < this.events.length) {
      const start = this.written;
      const end = this.bulkRunEnd(start);
      if (this.guarded) {
        if (end > start) await this.writeGuarded(start, end);
        else await this.writeOneGuarded(start);
        continue;
      }
      try {
        if (end > start) {
          const outcomes = await this.applier.applyMany(this.client, this.events.slice(start, end));
          outcomes.forEach((outcome, i) => (this.outcomes[start + i] = outcome));
          this.written = end;
        } else {
          const { event, position } = this.events[start];
          this.outcomes[start] = await this.applier.apply(this.client, event, position, false);
          this.written = start + 1;
        }
      } catch (error) {
        if (isTransient(error)) throw error;
        await this.rewriteGuarded(error);
        return;
      }
    }
  }

  /** The end of the run of events from `start` on that `applyMany` can take. */
  private bulkRunEnd(start: number): number {
    let end = start;
    while (end < this.events.length && this.applier.canApplyInBulk(this.events[end].event))
      end += 1;
    return end;
  }

  /** Rolls back and writes every held event again, guarded. */
  private async rewriteGuarded(cause: unknown): Promise<void> {
    this.logger.debug(
      { pipeline: this.pipeline, err: cause, events: this.events.length },
      'batch failed, applying it again guarded (runs split down to single events)',
    );
    await this.client.query('ROLLBACK');
    this.isOpen = false;
    this.guarded = true;
    this.written = 0;
    this.outcomes = [];
    await this.writeFromWritten();
  }

  /**
   * A run of set-based events, guarded: tried in one statement per table under a savepoint;
   * when that fails, each half the same way (first half first), down to single events.
   */
  private async writeGuarded(start: number, end: number): Promise<void> {
    if (end - start <= SMALLEST_RUN) {
      for (let i = start; i < end; i += 1) await this.writeOneGuarded(i);
      return;
    }
    await this.client.query('SAVEPOINT strangler_run');
    try {
      const outcomes = await this.applier.applyMany(this.client, this.events.slice(start, end));
      await this.client.query('RELEASE SAVEPOINT strangler_run');
      outcomes.forEach((outcome, i) => (this.outcomes[start + i] = outcome));
      this.written = end;
      return;
    } catch (error) {
      if (isTransient(error)) throw error;
      await this.client.query('ROLLBACK TO SAVEPOINT strangler_run');
      await this.client.query('RELEASE SAVEPOINT strangler_run');
    }
    const middle = start + Math.ceil((end - start) / 2);
    await this.writeGuarded(start, middle);
    await this.writeGuarded(middle, end);
  }

  private async writeOneGuarded(index: number): Promise<void> {
    // DeadLetterStopError and RetryLaterError propagate with the transaction still open: the
    // caller decides what to keep (`keepCompleted`) before recording the event (`recordStop`).
    const { event, position } = this.events[index];
    const outcome = await this.applier.apply(
      this.client,
      event,
      position,
      true,
      this.options.retryLater,
    );
    this.outcomes[index] = outcome;
    this.written = index + 1;
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

  /**
   * After a transient failure: a new connection (with backoff, bounded), a new transaction, and
   * every held event written again in it. Anything else (and a plain client) rethrows.
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
        this.written = 0;
        this.outcomes = [];
        await this.writeFromWritten();
        return;
      } catch (failure) {
        if (!isTransient(failure)) throw failure;
        cause = failure;
      }
    }
  }

  /** The source transaction held so far is complete (its commit message arrived). */
  markBoundary(): void {
    if (this.boundaries[this.boundaries.length - 1] !== this.events.length)
      this.boundaries.push(this.events.length);
  }

  /**
   * After a DeadLetterStopError or RetryLaterError for `failed`: rolls back and writes again
   * only the complete source transactions held before the one `failed` belongs to, leaving the
   * transaction open for the caller to commit. Returns how many events were kept (0: nothing
   * is left open).
   */
  async keepCompleted(failed: ChangeEvent): Promise<number> {
    const index = this.events.findIndex((held) => held.event === failed);
    const at = index < 0 ? this.events.length : index;
    const kept = this.boundaries.filter((boundary) => boundary <= at);
    const keep = kept[kept.length - 1] ?? 0;
    const events = this.events.slice(0, keep);
    await this.rollback();
    if (events.length === 0) return 0;
    this.events = events;
    this.boundaries = kept;
    this.guarded = true;
    await this.writeHeld();
    return events.length;
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
   * Writes what is held, runs `last` (bookkeeping, given the live client) inside the
   * transaction, commits, and counts the outcomes. A transient failure, COMMIT included,
   * writes the batch again and tries again. Returns the number of events committed.
   */
  async commit(last?: (client: pg.ClientBase) => Promise<void>): Promise<number> {
    if (!this.open) return 0;
    for (;;) {
      try {
        await this.writeFromWritten();
        await last?.(this.client);
        if (this.options.commitTransaction) await this.options.commitTransaction(this.client);
        else await this.client.query('COMMIT');
        break;
      } catch (error) {
        await this.recover(error);
      }
    }
    const committed = this.events.length;
    this.events.forEach(({ event }, i) => {
      const outcome = this.outcomes[i] ?? 'applied';
      syncMetrics.eventsApplied.inc({ pipeline: this.pipeline, op: event.op, outcome });
      if (outcome === 'dead-lettered') syncMetrics.deadLetters.inc({ pipeline: this.pipeline });
    });
    this.reset();
    return committed;
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
    this.written = 0;
    this.outcomes = [];
    this.boundaries = [];
    clearPendingCommit(this.pipeline, this);
  }
}
