import {
  isUnavailable,
  pickKey,
  type ChangeEvent,
  type ChangeEventKey,
} from '../change-event/change-event.js';
import type { TableInfo } from '../catalog/table-catalog.js';

/**
 * Change events of the built-in capture → Kafka records the way a Debezium PostgreSQL connector
 * writes them (JSON converter): topic `<prefix>.<schema>.<table>`, key = the primary key columns,
 * value = the change event; each delete followed by a tombstone (`tombstones.on.delete`), and an
 * update that changes the primary key split into delete + tombstone + create, so that every
 * record of a key lands on that key's partition (Debezium does the same, with the
 * `__debezium.oldkey` / `__debezium.newkey` headers).
 */

export type KafkaFormat = 'json' | 'json-with-schemas';

export interface OutgoingRecord {
  topic: string;
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

interface ConnectField {
  type: string;
  optional: boolean;
  field?: string;
  name?: string;
  fields?: ConnectField[];
}

const INT2 = 21;
const INT4 = 23;
const OID = 26;
const BOOL = 16;

function columnField(column: TableInfo['columns'][number], optional: boolean): ConnectField {
  const type =
    column.typeOid === INT2
      ? 'int16'
      : column.typeOid === INT4 || column.typeOid === OID
        ? 'int32'
        : column.typeOid === BOOL
          ? 'boolean'
          : 'string';
  return { type, optional: optional || !column.notNull, field: column.name };
}

const SOURCE_SCHEMA: ConnectField = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
  field: 'source',
  fields: [
    { type: 'string', optional: false, field: 'version' },
    { type: 'string', optional: false, field: 'connector' },
    { type: 'string', optional: false, field: 'name' },
    { type: 'int64', optional: false, field: 'ts_ms' },
    { type: 'string', optional: true, field: 'snapshot' },
    { type: 'string', optional: false, field: 'db' },
    { type: 'string', optional: true, field: 'sequence' },
    { type: 'string', optional: false, field: 'schema' },
    { type: 'string', optional: false, field: 'table' },
    { type: 'int64', optional: true, field: 'txId' },
    { type: 'int64', optional: true, field: 'lsn' },
    { type: 'int64', optional: true, field: 'xmin' },
  ],
};

const TRANSACTION_SCHEMA: ConnectField = {
  type: 'struct',
  optional: true,
  name: 'event.block',
  field: 'transaction',
  fields: [
    { type: 'string', optional: false, field: 'id' },
    { type: 'int64', optional: false, field: 'total_order' },
    { type: 'int64', optional: false, field: 'data_collection_order' },
  ],
};

/** The Kafka Connect schemas of a table's key and value, as the JSON converter embeds them. */
export function connectSchemas(
  prefix: string,
  table: TableInfo,
): { key: ConnectField & { name: string }; value: ConnectField & { name: string } } {
  const name = `${prefix}.${table.schema}.${table.table}`;
  const row = (field: string): ConnectField => ({
    type: 'struct',
    optional: true,
    name: `${name}.Value`,
    field,
    fields: table.columns.map((c) => columnField(c, false)),
  });
  return {
    key: {
      type: 'struct',
      optional: false,
      name: `${name}.Key`,
      fields: table.primaryKey.map((k) => {
        const column = table.columns.find((c) => c.name === k);
        return column ? columnField(column, false) : { type: 'string', optional: false, field: k };
      }),
    },
    value: {
      type: 'struct',
      optional: false,
      name: `${name}.Envelope`,
      fields: [
        row('before'),
        row('after'),
        SOURCE_SCHEMA,
        { type: 'string', optional: false, field: 'op' },
        { type: 'int64', optional: true, field: 'ts_ms' },
        TRANSACTION_SCHEMA,
      ],
    },
  };
}

function sameKey(a: ChangeEventKey, b: ChangeEventKey): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * An update that left a TOASTed value unchanged carries the placeholder in `after`; when the old
 * row image has the value (REPLICA IDENTITY FULL), Debezium writes it instead, and so do we.
 */
export function withToastFromBefore(event: ChangeEvent): ChangeEvent {
  const { before, after } = event;
  if (event.op !== 'u' || !before || !after) return event;
  let filled: ChangeEvent['after'] = null;
  for (const [column, value] of Object.entries(after)) {
    if (!isUnavailable(value)) continue;
    const old = before[column];
    if (old === undefined || isUnavailable(old)) continue;
    filled ??= { ...after };
    filled[column] = old;
  }
  return filled ? { ...event, after: filled } : event;
}

/** The Kafka records of one change event (see the module comment). */
export function recordsFor(
  event: ChangeEvent,
  table: TableInfo,
  prefix: string,
  format: KafkaFormat,
): OutgoingRecord[] {
  const topic = `${prefix}.${event.source.schema}.${event.source.table}`;
  const schemas = format === 'json-with-schemas' ? connectSchemas(prefix, table) : null;
  const encodeKey = (key: ChangeEventKey | null) =>
    key === null ? null : JSON.stringify(schemas ? { schema: schemas.key, payload: key } : key);
  const encodeValue = (value: ChangeEvent) =>
    JSON.stringify(schemas ? { schema: schemas.value, payload: value } : value);
  const keyColumns = table.primaryKey;

  if (event.op === 't') return [{ topic, key: null, value: encodeValue(event) }];
  event = withToastFromBefore(event);
  if (event.op === 'd') {
    const key = encodeKey(pickKey(event.before ?? {}, keyColumns));
    return [
      { topic, key, value: encodeValue(event) },
      { topic, key, value: null },
    ];
  }
  const newKey = pickKey(event.after ?? {}, keyColumns);
  if (event.op === 'u' && event.before) {
    let oldKey: ChangeEventKey | null = null;
    try {
      oldKey = pickKey(event.before, keyColumns);
    } catch {
      oldKey = null; // no old key image: the key did not change
    }
    if (oldKey && !sameKey(oldKey, newKey)) {
      const oldKeyText = encodeKey(oldKey);
      const headers = { '__debezium.newkey': JSON.stringify(newKey) };
      return [
        { topic, key: oldKeyText, value: encodeValue({ ...event, op: 'd', after: null }), headers },
        { topic, key: oldKeyText, value: null, headers },
        {
          topic,
          key: encodeKey(newKey),
          value: encodeValue({ ...event, op: 'c', before: null }),
          headers: { '__debezium.oldkey': JSON.stringify(oldKey) },
        },
      ];
    }
  }
  return [{ topic, key: encodeKey(newKey), value: encodeValue(event) }];
}
