/**
 * THE change-event envelope of the sync: the shape Debezium's PostgreSQL connector writes as the
 * value `payload` of a change record (and its key), so a real Debezium connector publishing to
 * Kafka and the built-in pgoutput capture are interchangeable.
 *
 * Reference: Debezium PostgreSQL connector, "Data change events"
 * (https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-events):
 *
 *   { "before": {...} | null, "after": {...} | null,
 *     "source": { "version": "2.7.0.Final", "connector": "postgresql", "name": "<topic.prefix>",
 *                 "ts_ms": 1559033904863, "snapshot": "false", "db": "postgres",
 *                 "sequence": "[\"24023119\",\"24023128\"]", "schema": "public",
 *                 "table": "customers", "txId": 555, "lsn": 24023128, "xmin": null },
 *     "op": "c" | "u" | "d" | "r" | "t", "ts_ms": 1559033904863,
 *     "transaction": { "id": "555:24023128", "total_order": 1, "data_collection_order": 1 } }
 *
 * - `source.snapshot` is a STRING ("true", "last", "false", "incremental"), as Debezium 2.x writes
 *   it; `source.ts_ms` is the source commit time, the top-level `ts_ms` when the event was made.
 * - `source.lsn` is the WAL position of the change; `source.sequence` is Debezium's
 *   `["<last committed lsn>", "<this lsn>"]` pair as a JSON string.
 * - The key is `{ <primary key columns> }` (the Debezium key payload).
 * - A column whose value pgoutput did not send (an unchanged TOAST value in an update) holds
 *   Debezium's `unavailable.value.placeholder`, `__debezium_unavailable_value`: consumers must
 *   leave that column as it is, never write the placeholder.
 *
 * Where this sync differs from a default Debezium connector (all lossless, all documented):
 * - Values: integers up to int4 are numbers, booleans booleans, everything else (int8, numeric,
 *   temporal types, uuid, json, arrays, enums, ...) the PostgreSQL text form, as Debezium does
 *   with `decimal.handling.mode=string` and `time.precision.mode=connect` replaced by ISO text.
 *   The apply side hands the text back to PostgreSQL, so no precision is lost on the way.
 * - With REPLICA IDENTITY DEFAULT, a delete's `before` holds only the key columns (Debezium fills
 *   the others with null); missing means "not known", never "null".
 */

export type ChangeOperation = 'c' | 'u' | 'd' | 'r' | 't';

/** A column value as carried in `before`/`after` (see the module comment for the encoding). */
export type ColumnValue = string | number | boolean | null;

export type Row = Record<string, ColumnValue>;

/** Debezium's default `unavailable.value.placeholder`. */
export const UNAVAILABLE_VALUE = '__debezium_unavailable_value';

export type SnapshotMarker = 'true' | 'last' | 'false' | 'incremental';

export interface ChangeEventSource {
  version: string;
  connector: 'postgresql';
  /** Logical server name (Debezium `topic.prefix`): the pipeline name here. */
  name: string;
  /** Commit time of the source transaction (snapshot: time of the read), epoch ms. */
  ts_ms: number;
  snapshot: SnapshotMarker;
  db: string;
  /** Debezium's `["<last committed lsn>","<lsn>"]`, as a JSON string. */
  sequence: string | null;
  schema: string;
  table: string;
  txId: number | null;
  lsn: number | null;
  xmin: null;
}

export interface ChangeEventTransaction {
  /** Debezium's `"<txId>:<lsn>"`. */
  id: string;
  total_order: number;
  data_collection_order: number;
}

export interface ChangeEvent {
  before: Row | null;
  after: Row | null;
  op: ChangeOperation;
  ts_ms: number;
  source: ChangeEventSource;
  transaction?: ChangeEventTransaction;
}

/** The Debezium key payload: the primary key columns of the row. */
export type ChangeEventKey = Row;

/** Version string written in `source.version`. */
export const SYNC_CONNECTOR_VERSION = 'strangler-sync-0.1.0';

export interface SourceLocation {
  /** Pipeline name (Debezium `topic.prefix`). */
  name: string;
  db: string;
  schema: string;
  table: string;
}

export interface StreamPosition {
  /** Source transaction id. */
  txId: number;
  /** LSN of the change record itself. */
  lsn: string;
  /** Commit LSN of the transaction (Debezium's "last committed" half of `sequence`). */
  commitLsn: string;
  /** Commit time, epoch ms. */
  commitTimeMs: number;
  /** 1-based order of the event within its transaction. */
  totalOrder: number;
  /** 1-based order of the event among the same table's events in the transaction. */
  tableOrder: number;
}

function lsnNumber(lsn: string): number {
  const [high, low] = lsn.split('/');
  return parseInt(high ?? '0', 16) * 2 ** 32 + parseInt(low ?? '0', 16);
}

function streamSource(at: SourceLocation, position: StreamPosition): ChangeEventSource {
  return {
    version: SYNC_CONNECTOR_VERSION,
    connector: 'postgresql',
    name: at.name,
    ts_ms: position.commitTimeMs,
    snapshot: 'false',
    db: at.db,
    sequence: JSON.stringify([
      String(lsnNumber(position.commitLsn)),
      String(lsnNumber(position.lsn)),
    ]),
    schema: at.schema,
    table: at.table,
    txId: position.txId,
    lsn: lsnNumber(position.lsn),
    xmin: null,
  };
}

function streamTransaction(position: StreamPosition): ChangeEventTransaction {
  return {
    id: `${position.txId}:${lsnNumber(position.commitLsn)}`,
    total_order: position.totalOrder,
    data_collection_order: position.tableOrder,
  };
}

function streamEvent(
  op: ChangeOperation,
  before: Row | null,
  after: Row | null,
  at: SourceLocation,
  position: StreamPosition,
  now: number,
): ChangeEvent {
  return {
    before,
    after,
    op,
    ts_ms: now,
    source: streamSource(at, position),
    transaction: streamTransaction(position),
  };
}

export function insertEvent(
  after: Row,
  at: SourceLocation,
  position: StreamPosition,
  now = Date.now(),
): ChangeEvent {
  return streamEvent('c', null, after, at, position, now);
}

/** `before` is null when the table's replica identity gives no old image (Debezium does the same). */
export function updateEvent(
  before: Row | null,
  after: Row,
  at: SourceLocation,
  position: StreamPosition,
  now = Date.now(),
): ChangeEvent {
  return streamEvent('u', before, after, at, position, now);
}

export function deleteEvent(
  before: Row,
  at: SourceLocation,
  position: StreamPosition,
  now = Date.now(),
): ChangeEvent {
  return streamEvent('d', before, null, at, position, now);
}

/** Debezium's truncate event (`op: "t"`, no before/after). */
export function truncateEvent(
  at: SourceLocation,
  position: StreamPosition,
  now = Date.now(),
): ChangeEvent {
  return streamEvent('t', null, null, at, position, now);
}

export interface SnapshotPosition {
  /** The snapshot's consistent point: every change committed before it is in the read. */
  lsn: string;
  /** When the row was read, epoch ms. */
  readTimeMs: number;
  /** Debezium marks the last row of the snapshot `"last"`; an ad-hoc backfill `"incremental"`. */
  marker: Exclude<SnapshotMarker, 'false'>;
}

/** A row read by the initial load or a backfill (`op: "r"`). */
export function readEvent(
  after: Row,
  at: SourceLocation,
  snapshot: SnapshotPosition,
  now = Date.now(),
): ChangeEvent {
  return {
    before: null,
    after,
    op: 'r',
    ts_ms: now,
    source: {
      version: SYNC_CONNECTOR_VERSION,
      connector: 'postgresql',
      name: at.name,
      ts_ms: snapshot.readTimeMs,
      snapshot: snapshot.marker,
      db: at.db,
      sequence: JSON.stringify([null, String(lsnNumber(snapshot.lsn))]),
      schema: at.schema,
      table: at.table,
      txId: null,
      lsn: lsnNumber(snapshot.lsn),
      xmin: null,
    },
  };
}

/**
 * The Debezium key of an event: the key columns from `after` (or `before` for a delete).
 * Throws when a key column is missing: an event without its key cannot be applied anywhere.
 */
export function eventKey(event: ChangeEvent, keyColumns: readonly string[]): ChangeEventKey {
  const row = event.op === 'd' ? event.before : event.after;
  if (!row) throw new Error(`a "${event.op}" event has no row to take its key from`);
  return pickKey(row, keyColumns);
}

/** Key columns of `row`; throws when one is missing or unavailable. */
export function pickKey(row: Row, keyColumns: readonly string[]): ChangeEventKey {
  const key: ChangeEventKey = {};
  for (const column of keyColumns) {
    const value = row[column];
    if (value === undefined || value === UNAVAILABLE_VALUE)
      throw new Error(`key column "${column}" is missing from the event row`);
    key[column] = value;
  }
  return key;
}

/** True when the column's value was not sent (unchanged TOAST) and must be left as it is. */
export function isUnavailable(value: ColumnValue | undefined): boolean {
  return value === UNAVAILABLE_VALUE;
}
