import { readFixture, type EventFixture } from '../../../test-support/kafka-tier/events.js';
import {
  BODY_1,
  BODY_1_EDITED,
  CARD_1,
  CARD_2,
  CARD_3,
  CARD_BODY_1,
} from '../../../test-support/kafka-tier/workload.js';
import { compareLsn } from '../lsn.js';
import {
  decodeDebeziumRecord,
  decodeValue,
  DebeziumRecordError,
  type DecodedRecord,
} from './debezium-record.js';

/** The declared types of the contract workload (test-support/kafka-tier/workload.ts). */
const TYPES: Record<string, Record<string, string>> = {
  cards: {
    id: 'uuid',
    title: 'text',
    votes: 'integer',
    archived: 'boolean',
    price: 'numeric(10,2)',
    meta: 'jsonb',
    body: 'text',
    created_at: 'timestamp with time zone',
  },
  card_tags: { card_id: 'uuid', tag: 'text', position: 'integer' },
  comments: { id: 'integer', card_id: 'uuid', body: 'text', edited: 'boolean' },
};

function decodeFixture(name: string): Record<string, DecodedRecord[]> {
  const fixture = readFixture(name) as EventFixture;
  const out: Record<string, DecodedRecord[]> = {};
  for (const [topic, records] of Object.entries(fixture.topics)) {
    const table = topic.split('.').pop() ?? '';
    out[table] = records.map((r) =>
      decodeDebeziumRecord(
        {
          topic,
          key: r.key === null ? null : JSON.stringify(r.key),
          value: r.value === null ? null : JSON.stringify(r.value),
        },
        (_schema, t) => TYPES[t],
      ),
    );
  }
  return out;
}

/** What matters to the apply side: op, rows, position order; none of the volatile fields. */
function essence(records: DecodedRecord[]) {
  return records.map((r) =>
    r.kind === 'tombstone'
      ? { tombstone: r.key }
      : {
          key: r.key,
          op: r.event.op,
          // a flattened record has no old row image: compare what it has (the key for deletes)
          before: r.event.op === 'd' ? { key: r.key } : undefined,
          after: r.event.after,
          table: `${r.event.source.schema}.${r.event.source.table}`,
        },
  );
}

describe('decodeDebeziumRecord against the recorded Debezium 3.6 fixtures', () => {
  const variants = ['json', 'json-schemas', 'unwrap'] as const;
  const decoded = Object.fromEntries(variants.map((v) => [v, decodeFixture(v)]));

  it.each(variants)('%s: ops, tombstones and decoded values of cards', (variant) => {
    const cards = decoded[variant]?.cards ?? [];
    expect(cards.map((r) => (r.kind === 'tombstone' ? 'tombstone' : r.event.op))).toEqual([
      'r',
      'r',
      'c',
      'u',
      'd',
      'tombstone',
    ]);
    const first = cards[0];
    if (first?.kind !== 'event') throw new Error('expected an event');
    expect(first.key).toEqual({ id: CARD_1 });
    expect(first.event.after).toEqual({
      id: CARD_1,
      title: 'First card',
      votes: 3,
      archived: false,
      price: '12.50', // base64 Decimal "BOI=" with scale 2
      meta: '{"color": "red"}',
      body: CARD_BODY_1,
      created_at: '2024-01-02T03:04:05.678000Z',
    });
    expect(first.event.source.snapshot).not.toBe('false');
    expect(first.position.seq).toBe(0);
    const third = cards[2];
    if (third?.kind !== 'event') throw new Error('expected an event');
    expect(third.event.after?.price).toBe('99.99');
    expect(third.event.after?.id).toBe(CARD_3);
    expect(third.position.seq).toBe(1);
    const deleted = cards[4];
    if (deleted?.kind !== 'event') throw new Error('expected an event');
    expect(deleted.event.before?.id).toBe(CARD_2);
    expect(deleted.event.after).toBeNull();
    expect(cards[5]).toEqual({ kind: 'tombstone', key: { id: CARD_2 } });
  });

  it.each(variants)('%s: unchanged TOAST stays the placeholder; new values come through', (v) => {
    const comments = decoded[v]?.comments ?? [];
    const bodies = comments.map((r) => (r.kind === 'event' ? r.event.after?.body : undefined));
    expect(bodies.slice(0, 3)).toEqual([BODY_1, '__debezium_unavailable_value', BODY_1_EDITED]);
  });

  it.each(variants)('%s: positions grow along each key, snapshot reads first', (variant) => {
    for (const records of Object.values(decoded[variant] ?? {})) {
      const last = new Map<string, { lsn: string; seq: number }>();
      for (const r of records) {
        if (r.kind !== 'event') continue;
        const key = JSON.stringify(r.key);
        const before = last.get(key);
        if (before) {
          const order = compareLsn(before.lsn, r.position.lsn) || before.seq - r.position.seq;
          expect(order).toBeLessThan(0);
        }
        last.set(key, r.position);
      }
    }
  });

  it('a primary key change is a delete of the old key and a create of the new one', () => {
    const tags = essence(decoded.json?.card_tags ?? []);
    expect(tags.slice(3, 6)).toEqual([
      expect.objectContaining({ op: 'd', key: { card_id: CARD_1, tag: 'a' } }),
      { tombstone: { card_id: CARD_1, tag: 'a' } },
      expect.objectContaining({ op: 'c', after: { card_id: CARD_1, tag: 'z', position: 1 } }),
    ]);
  });

  it('all three converter set-ups decode to the same events', () => {
    for (const table of ['cards', 'card_tags', 'comments']) {
      const json = essence(decoded.json?.[table] ?? []);
      expect(essence(decoded['json-schemas']?.[table] ?? [])).toEqual(json);
      expect(essence(decoded.unwrap?.[table] ?? [])).toEqual(json);
    }
  });

  it('with schemas, the Decimal scale comes from the schema (no column types needed)', () => {
    const fixture = readFixture('json-schemas') as EventFixture;
    const record = fixture.topics['kts.public.cards']?.[0];
    const result = decodeDebeziumRecord({
      topic: 'kts.public.cards',
      key: JSON.stringify(record?.key),
      value: JSON.stringify(record?.value),
    });
    expect(result.kind === 'event' && result.event.after?.price).toBe('12.50');
  });
});

describe('decodeDebeziumRecord edge cases', () => {
  it('our own capture: position is (commit lsn, total_order)', () => {
    const value = {
      before: null,
      after: { id: 1 },
      op: 'c',
      ts_ms: 1,
      source: {
        version: 'strangler-sync-0.1.0',
        connector: 'postgresql',
        name: 'p',
        ts_ms: 1,
        snapshot: 'false',
        db: 'd',
        sequence: '["200","100"]',
        schema: 'public',
        table: 't',
        txId: 7,
        lsn: 100,
        xmin: null,
      },
      transaction: { id: '7:200', total_order: 3, data_collection_order: 1 },
    };
    const decoded = decodeDebeziumRecord({
      topic: 'p.public.t',
      key: '{"id":1}',
      value: JSON.stringify(value),
    });
    expect(decoded.kind === 'event' && decoded.position).toEqual({ lsn: '0/C8', seq: 3 });
  });

  it('an empty value is a tombstone; a flattened record without __lsn is refused', () => {
    expect(decodeDebeziumRecord({ topic: 'p.s.t', key: '{"id":1}', value: null }).kind).toBe(
      'tombstone',
    );
    expect(() =>
      decodeDebeziumRecord({ topic: 'p.s.t', key: '{"id":1}', value: '{"id":1,"__op":"c"}' }),
    ).toThrow(DebeziumRecordError);
  });

  it('decodes Debezium temporal, decimal and bytes encodings to PostgreSQL text', () => {
    expect(decodeValue(19724, { name: 'io.debezium.time.Date' }, undefined)).toBe('2024-01-02');
    expect(
      decodeValue(1704164645678901, { name: 'io.debezium.time.MicroTimestamp' }, undefined),
    ).toBe('2024-01-02 03:04:05.678901');
    expect(decodeValue(3723000000, { name: 'io.debezium.time.MicroTime' }, undefined)).toBe(
      '01:02:03.000000',
    );
    expect(decodeValue({ scale: 3, value: 'MDk=' }, undefined, 'numeric')).toBe('12.345');
    expect(decodeValue('/w==', undefined, 'numeric(5,1)')).toBe('-0.1');
    expect(decodeValue('3.5', undefined, 'numeric(5,1)')).toBe('3.5');
    expect(decodeValue('AQI=', { type: 'bytes' }, undefined)).toBe('\\x0102');
    expect(decodeValue(19724, undefined, 'date')).toBe('2024-01-02');
  });
});
