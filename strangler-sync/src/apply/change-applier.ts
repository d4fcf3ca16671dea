import pg from 'pg';
import {
  UNAVAILABLE_VALUE,
  pickKey,
  type ChangeEvent,
  type ColumnValue,
  type Row,
} from '../change-event/change-event.js';
import {
  quoteIdent,
  qualified,
  sourceCast,
  type CompiledTableMapping,
} from '../mapping/table-mapping.js';
import { syncTables, type SyncTables } from './sync-bookkeeping.js';

/**
 * The source position that wrote a row: (commit LSN of the source transaction, 1-based order of
 * the change in it) for streamed changes, (consistent point of the snapshot, 0) for rows the
 * initial load or a backfill read. Positions are compared as pairs. Streamed transactions arrive
 * in commit order and every one committed after a snapshot's consistent point has a larger
 * commit LSN, so "larger position" means "newer state of the row" for both kinds.
 */
export interface RowPosition {
  lsn: string;
  seq: number;
}

export type ApplyOutcome = 'applied' | 'skipped' | 'filtered' | 'dead-lettered';

/** A change event and the position it writes at. */
export interface PositionedEvent {
  event: ChangeEvent;
  position: RowPosition;
}

/** One row to write (or key to delete) at a position; `derived` values for upserts. */
interface RowWrite {
  row: Row;
  position: RowPosition;
  derived?: (string | null)[];
}

/** An event the `stop` policy refuses to go past. */
export class DeadLetterStopError extends Error {
  constructor(
    readonly event: ChangeEvent,
    readonly reason: Error,
  ) {
    super(
      `change event for ${event.source.schema}.${event.source.table} (op ${event.op}, ` +
        `source lsn ${event.source.lsn}) cannot be applied: ${reason.message}. ` +
        'Dead-letter policy is "stop": the pipeline halts before this source transaction.',
    );
    this.name = 'DeadLetterStopError';
  }
}

/**
 * An event the caller chose to apply later instead of dead-lettering it (see `apply`'s
 * `retryLater`; the Kafka apply's wait for a parent row on another topic). Nothing of it was
 * written; the transaction is still open.
 */
export class RetryLaterError extends Error {
  constructor(
    readonly event: ChangeEvent,
    readonly reason: Error,
  ) {
    super(`change event (source lsn ${event.source.lsn}) to be applied later: ${reason.message}`);
    this.name = 'RetryLaterError';
  }
}

/** Decides whether a failed event waits (RetryLaterError) rather than being dead-lettered. */
export type RetryLater = (event: ChangeEvent, error: Error) => boolean;

export interface ChangeApplierOptions {
  pipeline: string;
  /** Schema of the sync's bookkeeping tables in the target. */
  targetSchema: string;
  /** Keyed by source `schema.table`. */
  mappings: Map<string, CompiledTableMapping>;
  deadLetters: 'stop' | 'continue';
}

/**
 * Applies change events to the target inside the caller's open transaction, idempotently:
 * each event first claims its row in `_strangler_row_versions` with a compare-and-set that only
 * succeeds when the event is newer than what wrote the row, then changes the row. Replays of
 * anything already applied (a crash between the target commit and the slot acknowledgement, a
 * snapshot row older than a streamed change) claim nothing and change nothing.
 *
 * `apply` takes one event (guarded: under a savepoint, so one that fails (constraint, type) is
 * rolled back alone and written to `_strangler_dead_letters` (policy `continue`), or stops the
 * pipeline (`stop`)); `applyMany` takes a run of events set-based, one statement per table and
 * kind. The order of the two, retries and dead letters are TargetBatch's job.
 */
export class ChangeApplier {
  private readonly tables: SyncTables;
  private readonly sql = new Map<string, string>();
  private readonly names = new Map<string, string>();

  constructor(private readonly options: ChangeApplierOptions) {
    this.tables = syncTables(options.targetSchema);
  }

  mappingFor(event: ChangeEvent): CompiledTableMapping | undefined {
    return this.options.mappings.get(`${event.source.schema}.${event.source.table}`);
  }

  /**
   * Applies one event. `guarded: false` skips the per-event savepoint (a batch runs that way
   * first): an error then propagates, and the caller rolls the batch back and applies it again
   * guarded, so only the failing event is dead-lettered. Guarded, an error `retryLater` accepts
   * is thrown as a RetryLaterError instead of applying the dead-letter policy.
   */
  async apply(
    client: pg.ClientBase,
    event: ChangeEvent,
    position: RowPosition,
    guarded = true,
    retryLater?: RetryLater,
  ): Promise<ApplyOutcome> {
    if (!guarded) return this.applyUnguarded(client, event, position);
    await client.query('SAVEPOINT strangler_event');
    try {
      const outcome = await this.applyUnguarded(client, event, position);
      await client.query('RELEASE SAVEPOINT strangler_event');
      return outcome;
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      // Deadlocks, serialization failures, lost connections: not the event's fault, never
      // dead-lettered (and a lost connection cannot roll back to the savepoint anyway).
      if (isTransient(cause)) throw cause;
      await client.query('ROLLBACK TO SAVEPOINT strangler_event');
      await client.query('RELEASE SAVEPOINT strangler_event');
      if (retryLater?.(event, cause)) throw new RetryLaterError(event, cause);
      if (this.options.deadLetters === 'stop') throw new DeadLetterStopError(event, cause);
      await this.writeDeadLetter(client, event, cause);
      return 'dead-lettered';
    }
  }

  /** Records an event that could not be applied (in the caller's transaction, or autocommit). */
  async writeDeadLetter(client: pg.ClientBase, event: ChangeEvent, error: Error): Promise<void> {
    const mapping = this.mappingFor(event);
    await client.query(
      `INSERT INTO ${this.tables.deadLetters} (pipeline, source_table, target_table, event, error)
       VALUES ($1, $2, $3, $4::jsonb, $5)`,
      [
        this.options.pipeline,
        `${event.source.schema}.${event.source.table}`,
        mapping?.targetName ?? null,
        JSON.stringify(event),
        describeError(error),
      ],
    );
  }

  private async applyUnguarded(
    client: pg.ClientBase,
    event: ChangeEvent,
    position: RowPosition,
  ): Promise<ApplyOutcome> {
    const mapping = this.mappingFor(event);
    if (!mapping)
      throw new Error(`no mapping for source table ${event.source.schema}.${event.source.table}`);
    switch (event.op) {
      case 'd': {
        if (!event.before) throw new Error('delete event without before');
        const key = pickKey(event.before, mapping.sourceKey);
        return (await this.deleteRow(client, mapping, key, position)) ? 'applied' : 'skipped';
      }
      case 't':
        await this.sweep(client, mapping, position);
        return 'applied';
      case 'c':
      case 'r':
      case 'u': {
        const after = event.after;
        if (!after) throw new Error(`"${event.op}" event without after`);
        const key = pickKey(after, mapping.sourceKey);
        if (event.op === 'u' && event.before && keyChanged(event.before, key, mapping)) {
          // A primary key update: the old key's row is gone as of this change.
          await this.deleteRow(client, mapping, pickKey(event.before, mapping.sourceKey), position);
        }
        const evaluated = await this.evaluate(client, mapping, after);
        if (!evaluated.keep) {
          await this.deleteRow(client, mapping, key, position);
          return 'filtered';
        }
        if (mapping.copied.some((c) => after[c.source] === UNAVAILABLE_VALUE)) {
          if (!(await this.claim(client, mapping, key, position, false))) return 'skipped';
          await this.updateSentColumns(client, mapping, after, evaluated.derived);
          return 'applied';
        }
        return (await this.claimAndUpsert(client, mapping, after, evaluated.derived, position))
          ? 'applied'
          : 'skipped';
      }
    }
  }

  /**
   * True when `applyMany` can take the event: an insert, update or delete of a mapped table
   * without filter or derived columns (those need the target to evaluate each row), with every
   * mapped column sent (no unchanged TOAST value).
   */
  canApplyInBulk(event: ChangeEvent): boolean {
    const mapping = this.mappingFor(event);
    if (!mapping || mapping.predicate || mapping.derived.length > 0) return false;
    if (event.op === 'd') return Boolean(event.before);
    if (event.op === 't') return false;
    const after = event.after;
    return Boolean(after) && !mapping.copied.some((c) => after?.[c.source] === UNAVAILABLE_VALUE);
  }

  /**
   * Applies many events (each `canApplyInBulk`, in source order) set-based: one delete
   * statement and one upsert statement per table, however many events. The result is the
   * state the events applied one by one would leave:
   *
   * - Per row, only the last change counts: the events are collapsed per target key to the
   *   last one, at its position (a primary-key update is a delete of the old key and a write
   *   of the new one). The earlier ones were superseded inside this same target transaction.
   * - Idempotence: each row's claim is the same compare-and-set as one event's.
   * - Foreign keys: deletes first, children before parents (the mappings' order reversed:
   *   the pipeline file lists parents first), then upserts, parents first. A batch whose
   *   constraints need the source's exact order (a RESTRICT key, a unique value moving between
   *   rows) fails here; the caller then applies it event by event, in source order.
   *
   * Unguarded: an error propagates (the caller rolls back and falls back). Returns one outcome
   * per event: `applied` when the write its row ended with claimed the row (an earlier,
   * superseded change of the row counts with it), `skipped` when the row was newer already.
   */
  async applyMany(
    client: pg.ClientBase,
    events: readonly PositionedEvent[],
  ): Promise<ApplyOutcome[]> {
    const tables = new Map<CompiledTableMapping, Map<string, TableWrite>>();
    const ownKeys: { mapping: CompiledTableMapping; key: string }[] = [];
    const write = (mapping: CompiledTableMapping, key: Row, change: TableWrite) => {
      let rows = tables.get(mapping);
      if (!rows) {
        rows = new Map();
        tables.set(mapping, rows);
      }
      const id = keyId(key, mapping);
      rows.delete(id); // the last change of a key wins (and goes last)
      rows.set(id, change);
      return id;
    };
    for (const { event, position } of events) {
      const mapping = this.mappingFor(event);
      if (!mapping || !this.canApplyInBulk(event))
        throw new Error(`event for ${event.source.schema}.${event.source.table} is not bulk-able`);
      if (event.op === 'd') {
        const key = pickKey(event.before ?? {}, mapping.sourceKey);
        const id = write(mapping, key, { kind: 'delete', row: key, position });
        ownKeys.push({ mapping, key: id });
        continue;
      }
      const after = event.after ?? {};
      const key = pickKey(after, mapping.sourceKey);
      if (event.op === 'u' && event.before && keyChanged(event.before, key, mapping)) {
        const old = pickKey(event.before, mapping.sourceKey);
        write(mapping, old, { kind: 'delete', row: old, position });
      }
      ownKeys.push({ mapping, key: write(mapping, key, { kind: 'upsert', row: after, position }) });
    }

    const claimed = new Set<string>();
    const run = async (kind: TableWrite['kind'], mapping: CompiledTableMapping) => {
      const entries = [...(tables.get(mapping) ?? [])].filter(([, w]) => w.kind === kind);
      if (entries.length === 0) return;
      const rows = entries.map(([, w]) => w);
      const ords =
        kind === 'delete'
          ? await this.deleteRows(client, mapping, rows)
          : await this.upsertRows(client, mapping, rows);
      for (const ord of ords) claimed.add(`${mapping.targetName}\u0000${entries[ord][0]}`);
    };
    const order = [...this.options.mappings.values()].filter((m) => tables.has(m));
    for (const mapping of [...order].reverse()) await run('delete', mapping);
    for (const mapping of order) await run('upsert', mapping);
    return ownKeys.map(({ mapping, key }) =>
      claimed.has(`${mapping.targetName}\u0000${key}`) ? 'applied' : 'skipped',
    );
  }

  /** Claims the row for `position` (compare-and-set on the version); false when not newer. */
  private async claim(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    key: Row,
    position: RowPosition,
    deleted: boolean,
  ): Promise<boolean> {
    const statement = this.statementName(`claim:${mapping.targetName}`, () => {
      const keyArray = mapping.targetKey.map((k, i) => `$${i + 5}::${k.targetType}`).join(', ');
      return claimVersionsSql(
        this.tables.versions,
        `SELECT $1, jsonb_build_array(${keyArray}), $2::pg_lsn, $3::int, $4::boolean`,
      );
    });
    const result = await client.query({
      name: statement.name,
      text: statement.text,
      values: [
        mapping.targetName,
        position.lsn,
        position.seq,
        deleted,
        ...mapping.targetKey.map((k) => toParam(key[k.source])),
      ],
    });
    return result.rowCount === 1;
  }

  /** Claims the version as a tombstone and deletes the row, in one statement. */
  private async deleteRow(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    key: Row,
    position: RowPosition,
  ): Promise<boolean> {
    return (await this.deleteRows(client, mapping, [{ row: key, position }])).length > 0;
  }

  /**
   * Claims each row's version as a tombstone and deletes the rows whose claim succeeded, in ONE
   * statement for any number of keys (distinct). Returns the indexes of the claimed ones.
   */
  private async deleteRows(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    rows: readonly RowWrite[],
  ): Promise<number[]> {
    const statement = this.statementName(`claim-delete:${mapping.targetName}`, () => {
      const typed = mapping.targetKey.map((k, i) => `input.k${i}::${k.targetType}`);
      const keyArray = `jsonb_build_array(${typed.join(', ')})`;
      const join = mapping.targetKey.map((k, i) => `t.${quoteIdent(k.target)} = ${typed[i]}`);
      return `WITH input AS (
                SELECT * FROM unnest($2::int[], $3::text[], $4::int[],
                  ${mapping.targetKey.map((_, i) => `$${i + 5}::text[]`).join(', ')})
                  AS input(ord, lsn, seq, ${mapping.targetKey.map((_, i) => `k${i}`).join(', ')})),
              claim AS (${claimVersionsSql(
                this.tables.versions,
                `SELECT $1, ${keyArray}, input.lsn::pg_lsn, input.seq, true FROM input`,
              )}),
              gone AS (
                DELETE FROM ${qualified(mapping.target.schema, mapping.target.table)} AS t
                 USING input WHERE ${join.join(' AND ')}
                   AND ${keyArray} IN (SELECT row_key FROM claim))
              SELECT coalesce(array_agg(input.ord), '{}') AS claimed FROM input
               WHERE ${keyArray} IN (SELECT row_key FROM claim)`;
    });
    const result = await client.query<{ claimed: number[] }>({
      name: statement.name,
      text: statement.text,
      values: [
        mapping.targetName,
        rows.map((_, i) => i),
        rows.map((r) => r.position.lsn),
        rows.map((r) => r.position.seq),
        ...mapping.targetKey.map((k) => rows.map((r) => textParam(r.row[k.source]))),
      ],
    });
    return result.rows[0]?.claimed ?? [];
  }

  /** Filter and derived columns, computed by the target database over the source row. */
  private async evaluate(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    after: Row,
  ): Promise<{ keep: boolean; derived: (string | null)[] }> {
    if (!mapping.predicate && mapping.derived.length === 0) return { keep: true, derived: [] };
    const columns = mapping.source.columns.map((c) => c.name);
    const unavailable = columns.filter((c) => after[c] === UNAVAILABLE_VALUE);
    if (unavailable.length > 0)
      throw new Error(
        `column(s) ${unavailable.join(', ')} were not sent (unchanged TOAST) but the filter or ` +
          'a derived column may read them: set REPLICA IDENTITY FULL on the source table',
      );
    const statement = this.statementName(`evaluate:${mapping.sourceName}`, () => {
      const row = columns
        .map((c, i) => `$${i + 1}::${sourceCast(mapping.source, c)} AS ${quoteIdent(c)}`)
        .join(', ');
      const outputs = [
        `(${mapping.predicate ?? 'true'})::boolean AS keep`,
        ...mapping.derived.map((d, i) => `(${d.expression})::text AS d${i}`),
      ];
      return `SELECT ${outputs.join(', ')} FROM (SELECT ${row}) AS source_row`;
    });
    const result = await client.query<Record<string, string | boolean | null>>({
      name: statement.name,
      text: statement.text,
      values: columns.map((c) => toParam(after[c])),
    });
    const first = result.rows[0] ?? {};
    return {
      keep: first.keep === true,
      derived: mapping.derived.map((_, i) => (first[`d${i}`] ?? null) as string | null),
    };
  }

  /** True when `applyReads` can take this mapping's snapshot rows in one statement. */
  canApplyReadsInBulk(mapping: CompiledTableMapping): boolean {
    return !mapping.predicate && mapping.derived.length === 0;
  }

  /**
   * Snapshot rows of one table (`op: "r"`, all at the same position) in ONE statement: the
   * rows go in as one text array per column, claim their versions together, and only the rows
   * whose claim succeeded are written. Unguarded: the caller falls back to `apply` per event
   * when it fails. Returns how many rows were claimed.
   */
  async applyReads(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    rows: Row[],
    position: RowPosition,
  ): Promise<number> {
    const columns = mapping.copied.map((c) => c.target);
    const statement = this.statementName(`claim-upsert-many:${mapping.targetName}`, () =>
      this.claimAndUpsertSql(
        mapping,
        columns,
        `SELECT * FROM unnest(${columns.map((_, i) => `$${i + 4}::text[]`).join(', ')})
           AS input(${columns.map((_, i) => `c${i}`).join(', ')})`,
      ),
    );
    const result = await client.query<{ claimed: number }>({
      name: statement.name,
      text: statement.text,
      values: [
        mapping.targetName,
        position.lsn,
        position.seq,
        ...mapping.copied.map((c) =>
          rows.map((row) => {
            const value = row[c.source];
            return value === undefined || value === null ? null : String(value);
          }),
        ),
      ],
    });
    return result.rows[0]?.claimed ?? 0;
  }

  /** An update with unchanged TOAST values: set the columns that were sent, leave the rest. */
  private async updateSentColumns(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    after: Row,
    derived: (string | null)[],
  ): Promise<void> {
    const available = mapping.copied.filter((c) => after[c.source] !== UNAVAILABLE_VALUE);
    const missing = mapping.copied.filter((c) => after[c.source] === UNAVAILABLE_VALUE);
    const values = [...available.map((c) => toParam(after[c.source])), ...derived];
    const columns = [...available.map((c) => c.target), ...mapping.derived.map((d) => d.target)];
    const table = qualified(mapping.target.schema, mapping.target.table);
    const keyColumns = mapping.targetKey.map((k) => k.target);
    const sets = columns.filter((c) => !keyColumns.includes(c));
    const where = keyColumns.map((k) => `${quoteIdent(k)} = $${columns.indexOf(k) + 1}`);
    const sql =
      sets.length > 0
        ? `UPDATE ${table} SET ${sets.map((c) => `${quoteIdent(c)} = $${columns.indexOf(c) + 1}`).join(', ')}
            WHERE ${where.join(' AND ')}`
        : `SELECT 1 FROM ${table} WHERE ${where.join(' AND ')}`;
    const result = await client.query(sql, values);
    if (result.rowCount !== 1)
      throw new Error(
        `row is not in ${mapping.targetName} and column(s) ` +
          `${missing.map((c) => c.source).join(', ')} were not sent (unchanged TOAST): ` +
          'backfill the table to copy it',
      );
  }

  /**
   * Claims the row version and writes the row in ONE statement (one round trip per event):
   * the upsert only runs when the claim returned a row. True when the event was newer.
   */
  private async claimAndUpsert(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    after: Row,
    derived: (string | null)[],
    position: RowPosition,
  ): Promise<boolean> {
    return (await this.upsertRows(client, mapping, [{ row: after, position, derived }])).length > 0;
  }

  /**
   * Claims each row's version at its own position and upserts the rows whose claim succeeded,
   * in ONE statement for any number of rows (distinct keys: ON CONFLICT cannot touch a row
   * twice). Returns the indexes of the claimed ones.
   */
  private async upsertRows(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    rows: readonly RowWrite[],
  ): Promise<number[]> {
    const columns = [
      ...mapping.copied.map((c) => c.target),
      ...mapping.derived.map((d) => d.target),
    ];
    const statement = this.statementName(`claim-upsert-rows:${mapping.targetName}`, () =>
      this.claimAndUpsertSql(
        mapping,
        columns,
        `SELECT * FROM unnest($2::int[], $3::text[], $4::int[],
           ${columns.map((_, i) => `$${i + 5}::text[]`).join(', ')})
           AS input(ord, lsn, seq, ${columns.map((_, i) => `c${i}`).join(', ')})`,
        { lsn: 'input.lsn::pg_lsn', seq: 'input.seq' },
        'ords',
      ),
    );
    const result = await client.query<{ claimed: number[] }>({
      name: statement.name,
      text: statement.text,
      values: [
        mapping.targetName,
        rows.map((_, i) => i),
        rows.map((r) => r.position.lsn),
        rows.map((r) => r.position.seq),
        ...mapping.copied.map((c) => rows.map((r) => textParam(r.row[c.source]))),
        ...mapping.derived.map((_, d) => rows.map((r) => r.derived?.[d] ?? null)),
      ],
    });
    return result.rows[0]?.claimed ?? [];
  }

  /**
   * The one claim-and-upsert statement of `upsertRows` (streamed rows, each at its position)
   * and `applyReads` (snapshot rows, all at one position): `input` is a query with one text
   * column `c<i>` per entry of `columns` and one row per row to write; $1 is the target table's
   * name, `position` the SQL of each row's position (default $2 and $3). Each row claims its
   * version (`claimVersionsSql`: only when the position is newer), and only the rows whose claim
   * succeeded are upserted, setting the mapped columns and nothing else (the target's other
   * columns keep their values, or get their defaults on insert). Returns the number of rows
   * claimed, or (`ords`) the `ord` values of the input rows claimed.
   */
  private claimAndUpsertSql(
    mapping: CompiledTableMapping,
    columns: string[],
    input: string,
    position: { lsn: string; seq: string } = { lsn: '$2::pg_lsn', seq: '$3::int' },
    claimed: 'count' | 'ords' = 'count',
  ): string {
    const typeOf = (column: string) =>
      mapping.target.columns.find((c) => c.name === column)?.typeName ?? 'text';
    const typed = (column: string) => `input.c${columns.indexOf(column)}::${typeOf(column)}`;
    const keyColumns = mapping.targetKey.map((k) => k.target);
    const keyArray = `jsonb_build_array(${keyColumns.map(typed).join(', ')})`;
    const sets = columns
      .filter((c) => !keyColumns.includes(c))
      .map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`);
    return `WITH input AS (${input}),
            claim AS (${claimVersionsSql(
              this.tables.versions,
              `SELECT $1, ${keyArray}, ${position.lsn}, ${position.seq}, false FROM input`,
            )}),
            upsert AS (
              INSERT INTO ${qualified(mapping.target.schema, mapping.target.table)}
                (${columns.map(quoteIdent).join(', ')})
              SELECT ${columns.map(typed).join(', ')} FROM input
               WHERE ${keyArray} IN (SELECT row_key FROM claim)
              ON CONFLICT (${keyColumns.map(quoteIdent).join(', ')})
              ${sets.length > 0 ? `DO UPDATE SET ${sets.join(', ')}` : 'DO NOTHING'})
            ${
              claimed === 'count'
                ? 'SELECT count(*)::int AS claimed FROM claim'
                : `SELECT coalesce(array_agg(input.ord), '{}') AS claimed FROM input
                    WHERE ${keyArray} IN (SELECT row_key FROM claim)`
            }`;
  }

  /** A prepared statement per distinct SQL text (parsed and planned once per connection). */
  private statementName(key: string, build: () => string): { name: string; text: string } {
    const text = this.cached(key, build);
    let name = this.names.get(text);
    if (!name) {
      name = `strangler_sync_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    return { name, text };
  }

  /**
   * Deletes every target row of the mapping not written at or after `position`, and leaves a
   * tombstone at `position` for each: a source TRUNCATE, or the end of a full copy (rows the
   * snapshot did not see are gone from the source).
   */
  async sweep(
    client: pg.ClientBase,
    mapping: CompiledTableMapping,
    position: RowPosition,
  ): Promise<number> {
    const table = qualified(mapping.target.schema, mapping.target.table);
    const keyArray = `jsonb_build_array(${mapping.targetKey.map((k) => `t.${quoteIdent(k.target)}`).join(', ')})`;
    const deleted = await client.query<{ n: number }>(
      `WITH stale AS (
         DELETE FROM ${table} AS t
          WHERE NOT EXISTS (
            SELECT 1 FROM ${this.tables.versions} v
             WHERE v.target_table = $1 AND v.row_key = ${keyArray}
               AND (v.source_lsn, v.source_seq) >= ($2::pg_lsn, $3::int))
         RETURNING ${keyArray} AS row_key),
       tombstones AS (${claimVersionsSql(
         this.tables.versions,
         `SELECT $1, row_key, $2::pg_lsn, $3::int, true FROM stale`,
       )})
       SELECT count(*)::int AS n FROM stale`,
      [mapping.targetName, position.lsn, position.seq],
    );
    await client.query(
      `UPDATE ${this.tables.versions} AS v
          SET deleted = true, source_lsn = $2::pg_lsn, source_seq = $3::int
        WHERE v.target_table = $1 AND NOT v.deleted
          AND (v.source_lsn, v.source_seq) < ($2::pg_lsn, $3::int)`,
      [mapping.targetName, position.lsn, position.seq],
    );
    return deleted.rows[0]?.n ?? 0;
  }

  private cached(key: string, build: () => string): string {
    let sql = this.sql.get(key);
    if (sql === undefined) {
      sql = build();
      this.sql.set(key, sql);
    }
    return sql;
  }
}

/**
 * THE row-version compare-and-set, for every statement that writes a row or a tombstone:
 * `rows` is a query yielding (target_table, row_key, source_lsn, source_seq, deleted) with
 * distinct keys; each becomes the row's version only when its position is newer than the
 * version there (or there is none). RETURNING the keys claimed: the caller writes (or deletes)
 * only those rows, in the same statement.
 */
export function claimVersionsSql(versionsTable: string, rows: string): string {
  return `INSERT INTO ${versionsTable} AS v (target_table, row_key, source_lsn, source_seq, deleted)
          ${rows}
          ON CONFLICT (target_table, row_key) DO UPDATE
            SET source_lsn = EXCLUDED.source_lsn, source_seq = EXCLUDED.source_seq,
                deleted = EXCLUDED.deleted
            WHERE (v.source_lsn, v.source_seq) < (EXCLUDED.source_lsn, EXCLUDED.source_seq)
          RETURNING row_key`;
}

interface TableWrite extends RowWrite {
  kind: 'upsert' | 'delete';
}

/** A row's identity within one table: its source key values, as text. */
function keyId(key: Row, mapping: CompiledTableMapping): string {
  return JSON.stringify(mapping.sourceKey.map((column) => textParam(key[column])));
}

function keyChanged(before: Row, key: Row, mapping: CompiledTableMapping): boolean {
  return mapping.sourceKey.some(
    (column) => before[column] !== undefined && String(before[column]) !== String(key[column]),
  );
}

/**
 * Errors worth retrying rather than dead-lettering: SQLSTATEs for deadlocks, serialization and
 * lock failures, class 08 (connection exceptions) and 57 (operator intervention: 57P01 admin
 * shutdown, 57P03 cannot connect now), and the socket-level failures node-postgres reports
 * without a SQLSTATE (connection refused, reset or terminated, a client no longer queryable).
 */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (
      code === '40001' || // serialization_failure
      code === '40P01' || // deadlock_detected
      code === '55P03' || // lock_not_available
      code.startsWith('08') || // connection exceptions
      code.startsWith('57') || // operator intervention (shutdown, cancel)
      SOCKET_ERRORS.has(code)
    )
      return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return false; // any other SQLSTATE is about the data
  }
  const message = error instanceof Error ? error.message : '';
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}

const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

const CONNECTION_MESSAGES = [
  /^Connection terminated/, // node-postgres: the server closed the socket
  /is not queryable/, // node-postgres: a client whose connection already failed
  /^timeout expired$/, // node-postgres: connectionTimeoutMillis
  /^terminating connection/, // server messages when the SQLSTATE was lost
];

function toParam(value: ColumnValue | undefined): string | number | boolean | null {
  return value === undefined ? null : value;
}

/** A value as an element of a text[] parameter. */
function textParam(value: ColumnValue | undefined): string | null {
  return value === undefined || value === null ? null : String(value);
}

function describeError(error: Error): string {
  const pgError = error as Error & { code?: string; detail?: string; constraint?: string };
  const parts = [error.message];
  if (pgError.code) parts.push(`sqlstate ${pgError.code}`);
  if (pgError.constraint) parts.push(`constraint ${pgError.constraint}`);
  if (pgError.detail) parts.push(pgError.detail);
  return parts.join('; ');
}
