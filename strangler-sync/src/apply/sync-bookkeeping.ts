import pg from 'pg';
import { qualified } from '../mapping/table-mapping.js';
import { originPositionSql } from './replication-origin.js';

/**
 * The sync's own tables in the target database (in the target schema, prefixed `_strangler_`).
 * They sit beside the service's tables instead of adding columns to them, so the service's ORM
 * migrations never see a column they did not declare.
 *
 * - `_strangler_row_versions`: per target row (table + primary key as a jsonb array), the source
 *   position that last wrote it: (commit LSN of the source transaction, order in it), or
 *   (snapshot consistent point, 0) for a row the initial load or a backfill copied. `deleted`
 *   rows are tombstones: the row is gone, and an older event for the key (a replayed insert) must
 *   not bring it back.
 * - `_strangler_sync_state`: per pipeline, the commit end LSN of the last source transaction whose
 *   changes committed here; written in the same target transaction as the changes.
 * - `_strangler_snapshot_progress`: per pipeline and source table, how far the initial load got.
 * - `_strangler_dead_letters`: events that could not be applied, with the error.
 * - `_strangler_pipeline_runtime`: per pipeline, what the running process last reported (events
 *   per second, lag seconds, echo transactions skipped, when) and the stop flag `strangler-sync stop` sets. Apart from the
 *   state table so the once-a-second report never waits on a batch's row lock.
 */
export interface SyncTables {
  versions: string;
  state: string;
  progress: string;
  deadLetters: string;
  runtime: string;
}

export function syncTables(schema: string): SyncTables {
  return {
    versions: qualified(schema, '_strangler_row_versions'),
    state: qualified(schema, '_strangler_sync_state'),
    progress: qualified(schema, '_strangler_snapshot_progress'),
    deadLetters: qualified(schema, '_strangler_dead_letters'),
    runtime: qualified(schema, '_strangler_pipeline_runtime'),
  };
}

export async function ensureSyncTables(client: pg.ClientBase, schema: string): Promise<void> {
  const t = syncTables(schema);
  // Serialise concurrent first starts (two pipelines into one target database).
  await client.query('SELECT pg_advisory_lock(hashtext($1))', ['strangler-sync-bookkeeping']);
  try {
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${t.versions} (
        target_table text NOT NULL,
        row_key jsonb NOT NULL,
        source_lsn pg_lsn NOT NULL,
        source_seq integer NOT NULL,
        deleted boolean NOT NULL,
        PRIMARY KEY (target_table, row_key)
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${t.state} (
        pipeline text PRIMARY KEY,
        slot text NOT NULL,
        phase text NOT NULL CHECK (phase IN ('snapshot', 'streaming')),
        snapshot_lsn pg_lsn,
        applied_lsn pg_lsn,
        applied_source_time timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${t.progress} (
        pipeline text NOT NULL,
        source_table text NOT NULL,
        first_snapshot_lsn pg_lsn NOT NULL,
        last_key jsonb,
        rows_copied bigint NOT NULL DEFAULT 0,
        done boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (pipeline, source_table)
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${t.deadLetters} (
        id bigserial PRIMARY KEY,
        pipeline text NOT NULL,
        source_table text,
        target_table text,
        event jsonb NOT NULL,
        error text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${t.runtime} (
        pipeline text PRIMARY KEY,
        started_at timestamptz,
        reported_at timestamptz,
        events_per_second double precision,
        lag_seconds double precision,
        stop_requested_at timestamptz
      )`);
    // Added with echo suppression (skipAppliedBy): echo transactions skipped since the start.
    await client.query(`ALTER TABLE ${t.runtime} ADD COLUMN IF NOT EXISTS echo_skipped bigint`);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['strangler-sync-bookkeeping']);
  }
}

export interface SyncState {
  pipeline: string;
  slot: string;
  phase: 'snapshot' | 'streaming';
  snapshotLsn: string | null;
  appliedLsn: string | null;
  appliedSourceTime: Date | null;
  updatedAt: Date;
}

export async function readSyncState(
  client: pg.ClientBase,
  schema: string,
  pipeline: string,
): Promise<SyncState | null> {
  const result = await client.query<{
    pipeline: string;
    slot: string;
    phase: SyncState['phase'];
    snapshot_lsn: string | null;
    applied_lsn: string | null;
    applied_source_time: Date | null;
    updated_at: Date;
  }>(`SELECT * FROM ${syncTables(schema).state} WHERE pipeline = $1`, [pipeline]);
  const row = result.rows[0];
  if (!row) return null;
  return {
    pipeline: row.pipeline,
    slot: row.slot,
    phase: row.phase,
    snapshotLsn: row.snapshot_lsn,
    appliedLsn: row.applied_lsn,
    appliedSourceTime: row.applied_source_time,
    updatedAt: row.updated_at,
  };
}

export async function writeSyncState(
  client: pg.ClientBase,
  schema: string,
  state: Omit<SyncState, 'updatedAt'>,
): Promise<void> {
  await client.query(
    `INSERT INTO ${syncTables(schema).state}
       (pipeline, slot, phase, snapshot_lsn, applied_lsn, applied_source_time, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (pipeline) DO UPDATE SET slot = EXCLUDED.slot, phase = EXCLUDED.phase,
       snapshot_lsn = EXCLUDED.snapshot_lsn, applied_lsn = EXCLUDED.applied_lsn,
       applied_source_time = EXCLUDED.applied_source_time, updated_at = now()`,
    [
      state.pipeline,
      state.slot,
      state.phase,
      state.snapshotLsn,
      state.appliedLsn,
      state.appliedSourceTime,
    ],
  );
}

/**
 * Records the last applied source commit; call inside the transaction that applied it. With
 * `originPosition` (the streaming apply, in a session set up under its origin), the same
 * statement records it as the origin's progress too (`originPositionSql`).
 */
export async function recordAppliedCommit(
  client: pg.ClientBase,
  schema: string,
  pipeline: string,
  commitEndLsn: string,
  sourceTime: Date | null,
  options: { originPosition?: boolean } = {},
): Promise<void> {
  const origin = options.originPosition && sourceTime !== null;
  const result = await client.query(
    `UPDATE ${syncTables(schema).state}
        SET applied_lsn = $2, applied_source_time = $3, updated_at = now()
        ${origin ? `FROM (${originPositionSql('$2', '$3')}) AS origin` : ''}
      WHERE pipeline = $1`,
    [pipeline, commitEndLsn, sourceTime],
  );
  if (result.rowCount !== 1) throw new Error(`no sync state row for pipeline "${pipeline}"`);
}
