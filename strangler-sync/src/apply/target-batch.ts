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

/**
 * One target transaction holding a batch of change events (whole source transactions, or a
 * snapshot chunk). Events are applied without savepoints first, which is fast; if one fails, the
 * transaction is rolled back and the batch is applied again with a savepoint per event, so only
 * the failing event is dead-lettered (or, policy `stop`, the batch is abandoned and the event is
 * recorded in a transaction of its own before the error propagates, see `keepCompleted`).
 */
export class TargetBatch {
  private events: { event: ChangeEvent; position: RowPosition }[] = [];
  /** Events before this index belong to source transactions that are complete. */
  private boundary = 0;
  private outcomes: { op: string; outcome: ApplyOutcome }[] = [];
  private guarded = false;
  private isOpen = false;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly applier: ChangeApplier,
    private readonly pipeline: string,
    private readonly logger: Logger,
  ) {}

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
    await this.begin();
    this.events.push({ event, position });
    if (!this.guarded) {
      try {
        this.outcomes.push({
          op: event.op,
          outcome: await this.applier.apply(this.client, event, position, false),
        });
        return;
      } catch (error) {
        if (isTransient(error)) throw error;
        this.logger.debug(
          { pipeline: this.pipeline, err: error },
          'batch failed, applying it event by event',
        );
        await this.client.query('ROLLBACK');
        await this.client.query('BEGIN');
        this.guarded = true;
        this.outcomes = [];
        for (const item of this.events) await this.applyGuarded(item.event, item.position);
        return;
      }
    }
    await this.applyGuarded(event, position);
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
    await this.begin();
    for (const event of events) this.events.push({ event, position });
    try {
      const claimed = await this.applier.applyReads(
        this.client,
        mapping,
        events.map((e) => e.after ?? {}),
        position,
      );
      for (let i = 0; i < events.length; i += 1)
        this.outcomes.push({ op: 'r', outcome: i < claimed ? 'applied' : 'skipped' });
    } catch (error) {
      if (isTransient(error)) throw error;
      this.logger.debug({ pipeline: this.pipeline, err: error }, 'bulk copy failed, row by row');
      const all = this.events;
      await this.client.query('ROLLBACK');
      await this.client.query('BEGIN');
      this.guarded = true;
      this.outcomes = [];
      this.events = [];
      for (const item of all) {
        this.events.push(item);
        await this.applyGuarded(item.event, item.position);
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
    await this.begin();
    this.guarded = true;
    for (const item of kept) {
      this.events.push(item);
      await this.applyGuarded(item.event, item.position);
    }
    this.boundary = this.events.length;
    return true;
  }

  /** Records the event the `stop` policy halted on (in its own transaction). */
  async recordStop(error: DeadLetterStopError): Promise<void> {
    await this.rollback();
    await this.applier.writeDeadLetter(this.client, error.event, error.reason);
    syncMetrics.deadLetters.inc({ pipeline: this.pipeline });
  }

  /** Runs `last` (bookkeeping) inside the transaction, commits, and counts the outcomes. */
  async commit(last?: () => Promise<void>): Promise<void> {
    if (!this.isOpen) return;
    await last?.();
    await this.client.query('COMMIT');
    for (const { op, outcome } of this.outcomes) {
      syncMetrics.eventsApplied.inc({ pipeline: this.pipeline, op, outcome });
      if (outcome === 'dead-lettered') syncMetrics.deadLetters.inc({ pipeline: this.pipeline });
    }
    this.reset();
  }

  async rollback(): Promise<void> {
    if (this.isOpen) await this.client.query('ROLLBACK');
    this.reset();
  }

  private reset(): void {
    this.isOpen = false;
    this.guarded = false;
    this.events = [];
    this.outcomes = [];
    this.boundary = 0;
  }
}
