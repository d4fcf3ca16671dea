import pg from 'pg';
import type { Logger } from 'pino';
import { DeadLetterStopError, type ChangeApplier } from '../apply/change-applier.js';
import { TargetBatch } from '../apply/target-batch.js';
import { syncTables } from '../apply/sync-bookkeeping.js';
import { readEvent, type Row, type SnapshotMarker } from '../change-event/change-event.js';
import { fromPgText, textTypes } from '../capture/pg-text-value.js';
import { normaliseLsn } from '../lsn.js';
import { qualified, quoteIdent, type CompiledTableMapping } from '../mapping/table-mapping.js';
import { syncMetrics } from '../metrics.js';

export interface SnapshotProgress {
  phase: 'snapshot';
  pipeline: string;
  table: string;
  rowsCopied: number;
  rowsTotal: number;
  rowsPerSecond: number;
  /** Seconds left for this table at the current rate; null before the first chunk. */
  etaSeconds: number | null;
  done: boolean;
}

export interface CopyTablesOptions {
  pipeline: string;
  sourceUrl: string;
  sourceDb: string;
  target: pg.ClientBase;
  targetSchema: string;
  /** In copy order (parents before children, so target foreign keys hold). */
  mappings: CompiledTableMapping[];
  applier: ChangeApplier;
  chunkSize: number;
  /** Exported snapshot to read in, and its consistent point (the rows' position). */
  snapshotName: string;
  consistentPoint: string;
  /** `true` for the initial load, `incremental` for a backfill. */
  marker: Exclude<SnapshotMarker, 'false' | 'last'>;
  /** Start the listed tables over (a backfill), ignoring recorded progress. */
  restart?: boolean;
  logger: Logger;
  onProgress?: (progress: SnapshotProgress) => void;
}

interface ProgressRow {
  first_snapshot_lsn: string;
  last_key: string[] | null;
  rows_copied: string;
  done: boolean;
}

/**
 * Copies the tables' rows as they were at the snapshot, in primary-key chunks, through the same
 * apply path as streamed changes (`op: "r"` events positioned at the consistent point). Each
 * chunk commits in one target transaction together with the table's progress (last key copied),
 * so a crash resumes after the last committed chunk. When a table is complete, target rows the
 * copy did not write and nothing newer wrote are deleted (the source no longer has them).
 */
export async function copyTables(options: CopyTablesOptions): Promise<void> {
  const { pipeline, target, applier } = options;
  const progressTable = syncTables(options.targetSchema).progress;
  const source = new pg.Client({ connectionString: options.sourceUrl });
  await source.connect();
  try {
    await source.query(`SET TIME ZONE 'UTC'`);
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await source.query(`SET TRANSACTION SNAPSHOT '${options.snapshotName.replace(/'/g, "''")}'`);
    const readTimeMs = Date.now();
    const position = { lsn: normaliseLsn(options.consistentPoint), seq: 0 };

    for (const mapping of options.mappings) {
      const table = mapping.sourceName;
      if (options.restart)
        await target.query(
          `DELETE FROM ${progressTable} WHERE pipeline = $1 AND source_table = $2`,
          [pipeline, table],
        );
      const recorded = await target.query<ProgressRow>(
        `SELECT first_snapshot_lsn, last_key, rows_copied::text, done FROM ${progressTable}
          WHERE pipeline = $1 AND source_table = $2`,
        [pipeline, table],
      );
      let progress = recorded.rows[0];
      if (progress?.done) continue;
      if (!progress) {
        await target.query(
          `INSERT INTO ${progressTable} (pipeline, source_table, first_snapshot_lsn) VALUES ($1, $2, $3)`,
          [pipeline, table, position.lsn],
        );
        progress = {
          first_snapshot_lsn: position.lsn,
          last_key: null,
          rows_copied: '0',
          done: false,
        };
      }

      const sourceTable = qualified(mapping.source.schema, mapping.source.table);
      const count = await source.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${sourceTable}`,
      );
      const rowsTotal = Number(count.rows[0]?.n ?? 0);
      let rowsCopied = Number(progress.rows_copied);
      let lastKey = progress.last_key;
      const started = Date.now();
      const startedRows = rowsCopied;
      const keyColumns = mapping.sourceKey;
      const keyTypes = keyColumns.map(
        (k) => mapping.source.columns.find((c) => c.name === k)?.typeName ?? 'text',
      );
      const orderBy = keyColumns.map(quoteIdent).join(', ');
      const after = `(${orderBy}) > (${keyTypes.map((t, i) => `$${i + 1}::${t}`).join(', ')})`;
      const columns = mapping.source.columns.map((c) => quoteIdent(c.name)).join(', ');

      for (;;) {
        const chunk = await source.query<Record<string, string | null>>({
          text:
            `SELECT ${columns} FROM ${sourceTable} ${lastKey ? `WHERE ${after}` : ''} ` +
            `ORDER BY ${orderBy} LIMIT ${options.chunkSize}`,
          values: lastKey ?? [],
          types: textTypes,
        });
        if (chunk.rows.length === 0) break;
        const typeOf = new Map(chunk.fields.map((f) => [f.name, f.dataTypeID]));
        const batch = new TargetBatch(target, applier, pipeline, options.logger);
        try {
          const events = chunk.rows.map((raw) => {
            const row: Row = {};
            for (const [name, value] of Object.entries(raw))
              row[name] = fromPgText(typeOf.get(name) ?? 25, value);
            return readEvent(
              row,
              {
                name: pipeline,
                db: options.sourceDb,
                schema: mapping.source.schema,
                table: mapping.source.table,
              },
              { lsn: position.lsn, readTimeMs, marker: options.marker },
            );
          });
          await batch.applyReads(mapping, events, position);
          const last = chunk.rows[chunk.rows.length - 1];
          lastKey = keyColumns.map((k) => last[k] ?? '');
          rowsCopied += chunk.rows.length;
          const progressKey = JSON.stringify(lastKey);
          await batch.commit(async () => {
            await target.query(
              `UPDATE ${progressTable} SET last_key = $3::jsonb, rows_copied = $4, updated_at = now()
                WHERE pipeline = $1 AND source_table = $2`,
              [pipeline, table, progressKey, rowsCopied],
            );
          });
        } catch (error) {
          if (error instanceof DeadLetterStopError) await batch.recordStop(error);
          await batch.rollback().catch(() => undefined);
          throw error;
        }
        syncMetrics.snapshotRows.inc({ pipeline, table }, chunk.rows.length);
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        const rate = (rowsCopied - startedRows) / seconds;
        options.onProgress?.({
          phase: 'snapshot',
          pipeline,
          table,
          rowsCopied,
          rowsTotal,
          rowsPerSecond: Math.round(rate),
          etaSeconds: rate > 0 ? Math.max(0, Math.round((rowsTotal - rowsCopied) / rate)) : null,
          done: false,
        });
        if (chunk.rows.length < options.chunkSize) break;
      }

      // Complete: rows older than the first snapshot this table was copied in are gone.
      await target.query('BEGIN');
      const swept = await applier.sweep(target, mapping, {
        lsn: normaliseLsn(progress.first_snapshot_lsn),
        seq: 0,
      });
      await target.query(
        `UPDATE ${progressTable} SET done = true, updated_at = now() WHERE pipeline = $1 AND source_table = $2`,
        [pipeline, table],
      );
      await target.query('COMMIT');
      if (swept > 0)
        options.logger.info(
          { pipeline, table, swept },
          'removed target rows the source no longer has',
        );
      options.logger.info({ pipeline, table, rowsCopied }, 'table copied');
      options.onProgress?.({
        phase: 'snapshot',
        pipeline,
        table,
        rowsCopied,
        rowsTotal,
        rowsPerSecond: 0,
        etaSeconds: 0,
        done: true,
      });
    }
    await source.query('COMMIT');
  } finally {
    await source.end();
  }
}
