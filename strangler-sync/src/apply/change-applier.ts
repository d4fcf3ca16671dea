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
 * Every event runs under a savepoint: one that fails (constraint, type) is rolled back alone and
 * written to `_strangler_dead_letters` (policy `continue`), or stops the pipeline (`stop`).
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
   * guarded, so only the failing event is dead-lettered.
   */
  async apply(
    client: pg.ClientBase,
    event: ChangeEvent,
    position: RowPosition,
    guarded = true,
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
      return `INSERT INTO ${this.tables.versions} AS v
                (target_table, row_key, source_lsn, source_seq, deleted)
              VALUES ($1, jsonb_build_array(${keyArray}), $2::pg_lsn, $3, $4)
              ON CONFLICT (target_table, row_key) DO UPDATE
                SET source_lsn = EXCLUDED.source_lsn, source_seq = EXCLUDED.source_seq,
                    deleted = EXCLUDED.deleted
                WHERE (v.source_lsn, v.source_seq) < (EXCLUDED.source_lsn, EXCLUDED.source_seq)
              RETURNING 1`;
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
    const statement = this.statementName(`claim-delete:${mapping.targetName}`, () => {
      const keyParams = mapping.targetKey.map((k, i) => `$${i + 4}::${k.targetType}`);
      const where = mapping.targetKey
        .map((k, i) => `${quoteIdent(k.target)} = ${keyParams[i]}`)
        .join(' AND ');
      return `WITH claim AS (
                INSERT INTO ${this.tables.versions} AS v
                  (target_table, row_key, source_lsn, source_seq, deleted)
                VALUES ($1, jsonb_build_array(${keyParams.join(', ')}), $2::pg_lsn, $3::int, true)
                ON CONFLICT (target_table, row_key) DO UPDATE
                  SET source_lsn = EXCLUDED.source_lsn, source_seq = EXCLUDED.source_seq,
                      deleted = true
                  WHERE (v.source_lsn, v.source_seq) < (EXCLUDED.source_lsn, EXCLUDED.source_seq)
                RETURNING 1),
              gone AS (
                DELETE FROM ${qualified(mapping.target.schema, mapping.target.table)}
                 WHERE ${where} AND EXISTS (SELECT 1 FROM claim))
              SELECT count(*)::int AS claimed FROM claim`;
    });
    const result = await client.query<{ claimed: number }>({
      name: statement.name,
      text: statement.text,
      values: [
        mapping.targetName,
        position.lsn,
        position.seq,
        ...mapping.targetKey.map((k) => toParam(key[k.source])),
      ],
    });
    return (result.rows[0]?.claimed ?? 0) > 0;
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
    const columns = [
      ...mapping.copied.map((c) => c.target),
      ...mapping.derived.map((d) => d.target),
    ];
    const statement = this.statementName(`claim-upsert:${mapping.targetName}`, () =>
      this.claimAndUpsertSql(
        mapping,
        columns,
        `SELECT ${columns.map((_, i) => `$${i + 4}::text AS c${i}`).join(', ')}`,
      ),
    );
    const result = await client.query<{ claimed: number }>({
      name: statement.name,
      text: statement.text,
      values: [
        mapping.targetName,
        position.lsn,
        position.seq,
        ...mapping.copied.map((c) => toParam(after[c.source])),
        ...derived,
      ],
    });
    return (result.rows[0]?.claimed ?? 0) > 0;
  }

  /**
   * The one claim-and-upsert statement of `claimAndUpsert` (one row) and `applyReads` (many):
   * `input` is a query with one text column `c<i>` per entry of `columns` and one row per row
   * to write; $1 is the target table's name, $2 and $3 the position. Each row claims its version
   * (compare-and-set: only when the position is newer), and only the rows whose claim succeeded
   * are upserted, setting the mapped columns and nothing else (the target's other columns keep
   * their values, or get their defaults on insert). Returns the number of rows claimed.
   */
  private claimAndUpsertSql(
    mapping: CompiledTableMapping,
    columns: string[],
    input: string,
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
            claim AS (
              INSERT INTO ${this.tables.versions} AS v
                (target_table, row_key, source_lsn, source_seq, deleted)
              SELECT $1, ${keyArray}, $2::pg_lsn, $3::int, false FROM input
              ON CONFLICT (target_table, row_key) DO UPDATE
                SET source_lsn = EXCLUDED.source_lsn, source_seq = EXCLUDED.source_seq,
                    deleted = false
                WHERE (v.source_lsn, v.source_seq) < (EXCLUDED.source_lsn, EXCLUDED.source_seq)
              RETURNING row_key),
            upsert AS (
              INSERT INTO ${qualified(mapping.target.schema, mapping.target.table)}
                (${columns.map(quoteIdent).join(', ')})
              SELECT ${columns.map(typed).join(', ')} FROM input
               WHERE ${keyArray} IN (SELECT row_key FROM claim)
              ON CONFLICT (${keyColumns.map(quoteIdent).join(', ')})
              ${sets.length > 0 ? `DO UPDATE SET ${sets.join(', ')}` : 'DO NOTHING'})
            SELECT count(*)::int AS claimed FROM claim`;
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
    const deleted = await client.query(
      `WITH stale AS (
         DELETE FROM ${table} AS t
          WHERE NOT EXISTS (
            SELECT 1 FROM ${this.tables.versions} v
             WHERE v.target_table = $1 AND v.row_key = ${keyArray}
               AND (v.source_lsn, v.source_seq) >= ($2::pg_lsn, $3::int))
         RETURNING ${keyArray} AS row_key)
       INSERT INTO ${this.tables.versions} AS v (target_table, row_key, source_lsn, source_seq, deleted)
       SELECT $1, row_key, $2::pg_lsn, $3::int, true FROM stale
       ON CONFLICT (target_table, row_key) DO UPDATE
         SET source_lsn = EXCLUDED.source_lsn, source_seq = EXCLUDED.source_seq, deleted = true
         WHERE (v.source_lsn, v.source_seq) < (EXCLUDED.source_lsn, EXCLUDED.source_seq)`,
      [mapping.targetName, position.lsn, position.seq],
    );
    await client.query(
      `UPDATE ${this.tables.versions} AS v
          SET deleted = true, source_lsn = $2::pg_lsn, source_seq = $3::int
        WHERE v.target_table = $1 AND NOT v.deleted
          AND (v.source_lsn, v.source_seq) < ($2::pg_lsn, $3::int)`,
      [mapping.targetName, position.lsn, position.seq],
    );
    return deleted.rowCount ?? 0;
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

function describeError(error: Error): string {
  const pgError = error as Error & { code?: string; detail?: string; constraint?: string };
  const parts = [error.message];
  if (pgError.code) parts.push(`sqlstate ${pgError.code}`);
  if (pgError.constraint) parts.push(`constraint ${pgError.constraint}`);
  if (pgError.detail) parts.push(pgError.detail);
  return parts.join('; ');
}
