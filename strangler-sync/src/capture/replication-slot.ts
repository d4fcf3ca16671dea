import pg from 'pg';
import { qualified, quoteIdent } from '../mapping/table-mapping.js';

/**
 * The source side of a pipeline: its publication (only the pipeline's tables, never FOR ALL
 * TABLES) and its logical replication slot (pgoutput).
 */
export async function ensurePublication(
  client: pg.ClientBase,
  publication: string,
  tables: { schema: string; table: string }[],
): Promise<void> {
  const list = tables.map((t) => qualified(t.schema, t.table)).join(', ');
  const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [
    publication,
  ]);
  if (exists.rowCount === 0) {
    await client.query(`CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${list}`);
  } else {
    await client.query(`ALTER PUBLICATION ${quoteIdent(publication)} SET TABLE ${list}`);
  }
}

export interface SlotInfo {
  slot: string;
  plugin: string;
  database: string;
  active: boolean;
  activePid: number | null;
  restartLsn: string | null;
  confirmedFlushLsn: string | null;
  /** Bytes of WAL between the slot's confirmed position and the server's current position. */
  lagBytes: number | null;
}

export async function readSlot(client: pg.ClientBase, slot: string): Promise<SlotInfo | null> {
  const result = await client.query<{
    slot_name: string;
    plugin: string;
    database: string;
    active: boolean;
    active_pid: number | null;
    restart_lsn: string | null;
    confirmed_flush_lsn: string | null;
    lag_bytes: string | null;
  }>(
    `SELECT slot_name, plugin, database, active, active_pid, restart_lsn, confirmed_flush_lsn,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag_bytes
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = result.rows[0];
  if (!row) return null;
  return {
    slot: row.slot_name,
    plugin: row.plugin,
    database: row.database,
    active: row.active,
    activePid: row.active_pid,
    restartLsn: row.restart_lsn,
    confirmedFlushLsn: row.confirmed_flush_lsn,
    lagBytes: row.lag_bytes === null ? null : Number(row.lag_bytes),
  };
}

/** Drops the slot if it exists, ending a session that still holds it. */
export async function dropSlot(client: pg.ClientBase, slot: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const info = await readSlot(client, slot);
    if (!info) return;
    if (info.activePid !== null) {
      await client.query('SELECT pg_terminate_backend($1)', [info.activePid]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    try {
      await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006') throw error; // object in use: retry
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`could not drop replication slot ${slot}: still in use`);
}

export async function dropPublication(client: pg.ClientBase, publication: string): Promise<void> {
  await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
}

/**
 * A slot created together with an exported snapshot: reading in a transaction that imports
 * `snapshotName` sees exactly the changes committed before `consistentPoint`, and the slot streams
 * exactly the transactions that commit after it. The snapshot lives as long as the replication
 * connection that created it stays open and idle: `release()` ends it.
 */
export interface ExportedSnapshot {
  slot: string;
  consistentPoint: string;
  snapshotName: string;
  release(): Promise<void>;
}

/**
 * `CREATE_REPLICATION_SLOT <slot> [TEMPORARY] LOGICAL pgoutput (SNAPSHOT 'export')` over a
 * replication connection. A temporary slot (used to get a fresh consistent snapshot while the
 * pipeline's own slot keeps its position) disappears with the connection.
 */
export async function createSlotWithSnapshot(
  sourceUrl: string,
  slot: string,
  options: { temporary: boolean },
): Promise<ExportedSnapshot> {
  const connection = new pg.Client({
    connectionString: sourceUrl,
    replication: 'database',
  } as pg.ClientConfig);
  await connection.connect();
  try {
    const result = await connection.query<{
      slot_name: string;
      consistent_point: string;
      snapshot_name: string;
    }>(
      `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} ${options.temporary ? 'TEMPORARY ' : ''}` +
        `LOGICAL pgoutput (SNAPSHOT 'export')`,
    );
    const row = result.rows[0];
    if (!row) throw new Error(`CREATE_REPLICATION_SLOT ${slot} returned nothing`);
    return {
      slot: row.slot_name,
      consistentPoint: row.consistent_point,
      snapshotName: row.snapshot_name,
      release: () => connection.end(),
    };
  } catch (error) {
    await connection.end();
    throw error;
  }
}
