import {
  SYNC_CONNECTOR_VERSION,
  type ChangeEvent,
  type ChangeEventSource,
  type ChangeOperation,
  type ColumnValue,
  type Row,
  type SnapshotMarker,
} from '../change-event/change-event.js';
import type { RowPosition } from '../apply/change-applier.js';
import { bigIntToLsn } from '../lsn.js';

/**
 * Kafka records written by a Debezium PostgreSQL connector (or by this sync's own capture, which
 * writes the same envelope) → the sync's change events, ready for the idempotent apply.
 *
 * Accepted, whatever the connector's converter settings:
 * - the JSON converter without schemas (`{before, after, source, op, ...}`) and with schemas
 *   (`{schema, payload}`: the payload is unwrapped, the schema used to decode values);
 * - records flattened by `io.debezium.transforms.ExtractNewRecordState`: the row itself plus the
 *   `add.fields` metadata (`__op`, `__table`, `__lsn`, `__txId`, `__source_ts_ms`, `__snapshot`,
 *   `__deleted`); `__lsn` is required (add `lsn` to `add.fields`), `__op` recommended;
 * - tombstones (null value): `kind: 'tombstone'`, nothing to apply (the delete before it did it).
 *
 * Values Debezium encodes differently from PostgreSQL's text form are turned back into text the
 * target accepts: `Decimal` (base64 unscaled bytes; the scale from the record's schema or, without
 * schemas, from the column's declared `numeric(p,s)`), `VariableScaleDecimal` ({scale, value}),
 * dates as epoch days, timestamps without time zone as epoch ms/µs/ns, times as µs/ms/ns since
 * midnight, bytea as base64. `__debezium_unavailable_value` stays as it is: the apply side leaves
 * such a column unchanged.
 *
 * The position used for the row-version compare-and-set:
 * - events of this sync's own capture (`source.version` is ours, `transaction.id` is
 *   `<txId>:<commit lsn>`): (commit LSN, `total_order`), exactly as on the in-process path;
 * - Debezium events: (`source.lsn`, 0) for snapshot reads, (`source.lsn`, 1) for streamed changes.
 *   The change's own LSN orders the changes of one row (row locks order them by commit, and a
 *   later change of a row always has a later LSN than the commit of the one before it).
 */

export type DecodedRecord =
  | { kind: 'tombstone'; key: Row | null }
  | { kind: 'event'; key: Row | null; event: ChangeEvent; position: RowPosition };

/** Declared column types (`format_type`, e.g. `numeric(10,2)`), for values without a schema. */
export type ColumnTypeLookup = (
  schema: string,
  table: string,
) => Record<string, string> | undefined;

export interface KafkaRecordInput {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

export class DebeziumRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DebeziumRecordError';
  }
}

type Json = Record<string, unknown>;

interface ConnectField {
  field?: string;
  type?: string;
  name?: string;
  parameters?: Record<string, string>;
  fields?: ConnectField[];
}

function parse(input: Buffer | string | null): unknown {
  if (input === null) return null;
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.length === 0) return null;
  return JSON.parse(text) as unknown;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `{schema, payload}` (JSON converter with schemas.enable=true) → its parts. */
function splitEnvelope(value: unknown): { schema: ConnectField | null; payload: unknown } {
  if (isObject(value) && 'payload' in value && 'schema' in value) {
    const keys = Object.keys(value);
    if (keys.length === 2)
      return { schema: (value.schema as ConnectField | null) ?? null, payload: value.payload };
  }
  return { schema: null, payload: value };
}

/** The `schema.table` a topic `<prefix>.<schema>.<table>` names (the last two parts). */
export function tableOfTopic(topic: string): { schema: string; table: string } {
  const parts = topic.split('.');
  if (parts.length < 3)
    throw new DebeziumRecordError(`topic ${topic} is not named <prefix>.<schema>.<table>`);
  return { schema: parts[parts.length - 2] ?? '', table: parts[parts.length - 1] ?? '' };
}

/** Debezium's `source.lsn` (a number) → the `X/Y` text PostgreSQL writes. */
export function lsnFromNumber(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return bigIntToLsn(BigInt(value));
  if (typeof value === 'string' && /^\d+$/.test(value)) return bigIntToLsn(BigInt(value));
  if (typeof value === 'string' && /^[0-9A-Fa-f]+\/[0-9A-Fa-f]+$/.test(value)) return value;
  throw new DebeziumRecordError(`the record has no usable LSN (${JSON.stringify(value)})`);
}

function snapshotMarker(value: unknown): SnapshotMarker {
  if (value === null || value === undefined || value === 'false' || value === false) return 'false';
  if (value === 'incremental') return 'incremental';
  if (value === 'last') return 'last';
  return 'true'; // true, first, first_in_data_collection, last_in_data_collection
}

// --- values --------------------------------------------------------------------------------

function decimalText(base64: string, scale: number): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return '0';
  let unscaled = 0n;
  for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
  if ((bytes[0] ?? 0) & 0x80) unscaled -= 1n << BigInt(bytes.length * 8); // two's complement
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  } else if (scale < 0) {
    digits += '0'.repeat(-scale);
  }
  return negative ? `-${digits}` : digits;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function dateFromDays(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** Epoch microseconds → `YYYY-MM-DD HH:MM:SS.ffffff` (timestamp without time zone). */
function timestampFromMicros(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString(); // 2024-01-02T03:04:05.678Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${pad(Number(rest), 3)}`;
}

function timeFromMicros(micros: number): string {
  const total = Math.floor(micros / 1_000_000);
  const fraction = micros - total * 1_000_000;
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}.${pad(fraction, 6)}`;
}

function scaleOf(typeName: string | undefined): number | null {
  const match = /^numeric\(\d+,(\d+)\)$/.exec(typeName ?? '');
  return match ? Number(match[1]) : null;
}

/** One column value → the sync's column value (see the module comment). */
export function decodeValue(
  value: unknown,
  field: ConnectField | undefined,
  typeName: string | undefined,
): ColumnValue {
  if (value === null || value === undefined) return null;
  const name = field?.name ?? '';
  if (isObject(value)) {
    // io.debezium.data.VariableScaleDecimal: numeric without a declared scale.
    if (typeof value.value === 'string' && typeof value.scale === 'number')
      return decimalText(value.value, value.scale);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return JSON.stringify(value);
  if (value === '__debezium_unavailable_value') return value;
  if (name === 'org.apache.kafka.connect.data.Decimal' && typeof value === 'string')
    return decimalText(value, Number(field?.parameters?.scale ?? 0));
  if (typeof value === 'number') {
    switch (name) {
      case 'io.debezium.time.Date':
      case 'org.apache.kafka.connect.data.Date':
        return dateFromDays(value);
      case 'io.debezium.time.Timestamp':
      case 'org.apache.kafka.connect.data.Timestamp':
        return timestampFromMicros(BigInt(value) * 1000n);
      case 'io.debezium.time.MicroTimestamp':
        return timestampFromMicros(BigInt(value));
      case 'io.debezium.time.NanoTimestamp':
        return timestampFromMicros(BigInt(Math.trunc(value / 1000)));
      case 'io.debezium.time.MicroTime':
        return timeFromMicros(value);
      case 'io.debezium.time.Time':
      case 'org.apache.kafka.connect.data.Time':
        return timeFromMicros(value * 1000);
      case 'io.debezium.time.NanoTime':
        return timeFromMicros(Math.trunc(value / 1000));
      case 'io.debezium.time.MicroDuration':
        return `${value} microseconds`;
      default:
        break;
    }
    if (!name && typeName) {
      if (typeName === 'date') return dateFromDays(value);
      if (typeName.startsWith('timestamp') && !typeName.includes('with time zone'))
        return timestampFromMicros(BigInt(value));
      if (typeName.startsWith('time') && !typeName.includes('with time zone'))
        return timeFromMicros(value);
      if (typeName === 'interval') return `${value} microseconds`;
    }
    return value;
  }
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (field?.type === 'bytes' && !name)
      return `\\x${Buffer.from(value, 'base64').toString('hex')}`;
    if (!field) {
      const scale = scaleOf(typeName);
      if (scale !== null && !/^-?\d*\.?\d+(e[+-]?\d+)?$/i.test(value))
        return decimalText(value, scale);
      if (typeName === 'bytea') return `\\x${Buffer.from(value, 'base64').toString('hex')}`;
    }
    return value;
  }
  return JSON.stringify(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function decodeRow(
  row: unknown,
  schema: ConnectField | undefined,
  types: Record<string, string> | undefined,
  skip?: (column: string) => boolean,
): Row | null {
  if (!isObject(row)) return null;
  const fields = new Map((schema?.fields ?? []).map((f) => [f.field, f]));
  const out: Row = {};
  for (const [column, value] of Object.entries(row)) {
    if (skip?.(column)) continue;
    out[column] = decodeValue(value, fields.get(column), types?.[column]);
  }
  return out;
}

// --- records -------------------------------------------------------------------------------

const OPS = new Set<ChangeOperation>(['c', 'u', 'd', 'r', 't']);

/** Decodes one Kafka record (see the module comment); throws DebeziumRecordError when unusable. */
export function decodeDebeziumRecord(
  record: KafkaRecordInput,
  columnTypes: ColumnTypeLookup = () => undefined,
): DecodedRecord {
  let rawKey: unknown;
  let rawValue: unknown;
  try {
    rawKey = parse(record.key);
    rawValue = parse(record.value);
  } catch (error) {
    throw new DebeziumRecordError(
      `record on ${record.topic} is not JSON: ${(error as Error).message}`,
    );
  }
  const keyParts = splitEnvelope(rawKey);
  const key = isObject(keyParts.payload)
    ? decodeRow(keyParts.payload, keyParts.schema ?? undefined, undefined)
    : null;
  const { schema, payload } = splitEnvelope(rawValue);
  if (payload === null || payload === undefined) return { kind: 'tombstone', key };
  if (!isObject(payload))
    throw new DebeziumRecordError(`record on ${record.topic} is not a JSON object`);
  if (typeof payload.op === 'string' && isObject(payload.source))
    return envelopeEvent(record.topic, key, payload, schema, columnTypes);
  return unwrappedEvent(record.topic, key, payload, schema, columnTypes);
}

function envelopeEvent(
  topic: string,
  key: Row | null,
  payload: Json,
  schema: ConnectField | null,
  columnTypes: ColumnTypeLookup,
): DecodedRecord {
  const op = payload.op as ChangeOperation;
  if (!OPS.has(op)) throw new DebeziumRecordError(`record on ${topic} has unknown op ${op}`);
  const rawSource = payload.source as Json;
  const fromTopic = tableOfTopic(topic);
  const location = {
    schema: typeof rawSource.schema === 'string' ? rawSource.schema : fromTopic.schema,
    table: typeof rawSource.table === 'string' ? rawSource.table : fromTopic.table,
  };
  const types = columnTypes(location.schema, location.table);
  const fieldSchema = (name: string) => schema?.fields?.find((f) => f.field === name);
  const lsn = lsnFromNumber(rawSource.lsn);
  const source: ChangeEventSource = {
    version: text(rawSource.version),
    connector: 'postgresql',
    name: text(rawSource.name),
    ts_ms: Number(rawSource.ts_ms ?? 0),
    snapshot: snapshotMarker(rawSource.snapshot),
    db: text(rawSource.db),
    sequence: typeof rawSource.sequence === 'string' ? rawSource.sequence : null,
    schema: location.schema,
    table: location.table,
    txId: typeof rawSource.txId === 'number' ? rawSource.txId : null,
    lsn: typeof rawSource.lsn === 'number' ? rawSource.lsn : Number(rawSource.lsn),
    xmin: null,
  };
  const event: ChangeEvent = {
    before: decodeRow(payload.before, fieldSchema('before'), types),
    after: decodeRow(payload.after, fieldSchema('after'), types),
    op,
    ts_ms: Number(payload.ts_ms ?? 0),
    source,
  };
  const transaction = isObject(payload.transaction) ? payload.transaction : null;
  let position: RowPosition = { lsn, seq: op === 'r' ? 0 : 1 };
  if (transaction) {
    event.transaction = {
      id: String(transaction.id),
      total_order: Number(transaction.total_order ?? 0),
      data_collection_order: Number(transaction.data_collection_order ?? 0),
    };
    const commit = /^\d+:(\d+)$/.exec(event.transaction.id);
    if (source.version === SYNC_CONNECTOR_VERSION && commit && op !== 'r')
      position = { lsn: lsnFromNumber(commit[1]), seq: event.transaction.total_order };
  }
  return { kind: 'event', key, event, position };
}

/** Metadata fields ExtractNewRecordState adds (`add.fields`, default prefix `__`). */
function isMetadataField(column: string): boolean {
  return column.startsWith('__');
}

function unwrappedEvent(
  topic: string,
  key: Row | null,
  payload: Json,
  schema: ConnectField | null,
  columnTypes: ColumnTypeLookup,
): DecodedRecord {
  const fromTopic = tableOfTopic(topic);
  const location = {
    schema: typeof payload.__schema === 'string' ? payload.__schema : fromTopic.schema,
    table: typeof payload.__table === 'string' ? payload.__table : fromTopic.table,
  };
  if (payload.__lsn === undefined || payload.__lsn === null)
    throw new DebeziumRecordError(
      `flattened record on ${topic} has no __lsn: configure ExtractNewRecordState with ` +
        '"add.fields" including "lsn" (and "op")',
    );
  const lsn = lsnFromNumber(payload.__lsn);
  const deleted = payload.__deleted === true || payload.__deleted === 'true';
  let op: ChangeOperation;
  if (typeof payload.__op === 'string' && OPS.has(payload.__op as ChangeOperation))
    op = payload.__op as ChangeOperation;
  else op = deleted ? 'd' : 'u';
  if (deleted) op = 'd';
  const row =
    decodeRow(
      payload,
      schema ?? undefined,
      columnTypes(location.schema, location.table),
      isMetadataField,
    ) ?? {};
  const snapshot = snapshotMarker(payload.__snapshot);
  const event: ChangeEvent = {
    before: op === 'd' ? row : null,
    after: op === 'd' ? null : row,
    op,
    ts_ms: Number(payload.__ts_ms ?? payload.__source_ts_ms ?? 0),
    source: {
      version: '',
      connector: 'postgresql',
      name: topic.split('.').slice(0, -2).join('.'),
      ts_ms: Number(payload.__source_ts_ms ?? 0),
      snapshot: op === 'r' && snapshot === 'false' ? 'true' : snapshot,
      db: typeof payload.__db === 'string' ? payload.__db : '',
      sequence: null,
      schema: location.schema,
      table: location.table,
      txId: typeof payload.__txId === 'number' ? payload.__txId : null,
      lsn: Number(lsnToBigIntSafe(lsn)),
      xmin: null,
    },
  };
  return { kind: 'event', key, event, position: { lsn, seq: op === 'r' ? 0 : 1 } };
}

function lsnToBigIntSafe(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high ?? '0'}`) << 32n) | BigInt(`0x${low ?? '0'}`);
}
