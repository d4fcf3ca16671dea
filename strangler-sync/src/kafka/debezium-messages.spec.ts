import type { TableInfo } from '../catalog/table-catalog.js';
import {
  deleteEvent,
  insertEvent,
  updateEvent,
  UNAVAILABLE_VALUE,
  type StreamPosition,
} from '../change-event/change-event.js';
import { decodeDebeziumRecord } from './debezium-record.js';
import { recordsFor } from './debezium-messages.js';

const TAGS: TableInfo = {
  schema: 'public',
  table: 'card_tags',
  columns: [
    { name: 'card_id', typeOid: 23, typeName: 'integer', builtin: true, notNull: true },
    { name: 'tag', typeOid: 25, typeName: 'text', builtin: true, notNull: true },
    { name: 'body', typeOid: 25, typeName: 'text', builtin: true, notNull: false },
  ],
  primaryKey: ['card_id', 'tag'],
  replicaIdentity: 'f',
};
const AT = { name: 'p', db: 'd', schema: 'public', table: 'card_tags' };
const POSITION: StreamPosition = {
  txId: 9,
  lsn: '0/100',
  commitLsn: '0/200',
  commitTimeMs: 1,
  totalOrder: 2,
  tableOrder: 1,
};

describe('recordsFor (our capture → Debezium-shaped Kafka records)', () => {
  it('keys by primary key on <prefix>.<schema>.<table>; a delete is followed by a tombstone', () => {
    const records = recordsFor(
      deleteEvent({ card_id: 1, tag: 'a' }, AT, POSITION),
      TAGS,
      'legacy',
      'json',
    );
    expect(records.map((r) => [r.topic, r.key, r.value === null])).toEqual([
      ['legacy.public.card_tags', '{"card_id":1,"tag":"a"}', false],
      ['legacy.public.card_tags', '{"card_id":1,"tag":"a"}', true],
    ]);
  });

  it('splits a primary key change into delete + tombstone + create, with the key headers', () => {
    const records = recordsFor(
      updateEvent({ card_id: 1, tag: 'a' }, { card_id: 1, tag: 'z', body: 'b' }, AT, POSITION),
      TAGS,
      'legacy',
      'json',
    );
    expect(
      records.map((r) => [r.key, r.value && (JSON.parse(r.value) as { op: string }).op, r.headers]),
    ).toEqual([
      ['{"card_id":1,"tag":"a"}', 'd', { '__debezium.newkey': '{"card_id":1,"tag":"z"}' }],
      ['{"card_id":1,"tag":"a"}', null, { '__debezium.newkey': '{"card_id":1,"tag":"z"}' }],
      ['{"card_id":1,"tag":"z"}', 'c', { '__debezium.oldkey': '{"card_id":1,"tag":"a"}' }],
    ]);
  });

  it('fills an unchanged TOAST value from a full old row image, as Debezium does', () => {
    const [record] = recordsFor(
      updateEvent(
        { card_id: 1, tag: 'a', body: 'long' },
        { card_id: 1, tag: 'a', body: UNAVAILABLE_VALUE },
        AT,
        POSITION,
      ),
      TAGS,
      'legacy',
      'json',
    );
    expect((JSON.parse(record?.value ?? '{}') as { after: { body: string } }).after.body).toBe(
      'long',
    );
  });

  it('with schemas: {schema, payload}; the apply side decodes it back to the same event', () => {
    const event = insertEvent({ card_id: 1, tag: 'a', body: null }, AT, POSITION);
    const [record] = recordsFor(event, TAGS, 'legacy', 'json-with-schemas');
    const value = JSON.parse(record?.value ?? '{}') as { schema: { name: string } };
    expect(value.schema.name).toBe('legacy.public.card_tags.Envelope');
    const decoded = decodeDebeziumRecord({
      topic: record?.topic ?? '',
      key: record?.key ?? null,
      value: record?.value ?? null,
    });
    expect(decoded).toEqual({
      kind: 'event',
      key: { card_id: 1, tag: 'a' },
      event,
      position: { lsn: '0/200', seq: 2 },
    });
  });
});
