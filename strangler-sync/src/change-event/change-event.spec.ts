import {
  UNAVAILABLE_VALUE,
  deleteEvent,
  eventKey,
  insertEvent,
  readEvent,
  updateEvent,
} from './change-event.js';

const at = { name: 'cards', db: 'legacy', schema: 'public', table: 'cards' };
const position = {
  txId: 555,
  lsn: '0/16E8F40',
  commitLsn: '0/16E9000',
  commitTimeMs: 1_700_000_000_000,
  totalOrder: 2,
  tableOrder: 1,
};

describe('change event envelope (Debezium PostgreSQL format)', () => {
  it('builds an insert with source metadata as Debezium writes it', () => {
    const event = insertEvent({ id: 1, title: 'a' }, at, position, 42);
    expect(event).toEqual({
      before: null,
      after: { id: 1, title: 'a' },
      op: 'c',
      ts_ms: 42,
      source: {
        version: expect.any(String),
        connector: 'postgresql',
        name: 'cards',
        ts_ms: 1_700_000_000_000,
        snapshot: 'false',
        db: 'legacy',
        sequence: JSON.stringify([String(0x16e9000), String(0x16e8f40)]),
        schema: 'public',
        table: 'cards',
        txId: 555,
        lsn: 0x16e8f40,
        xmin: null,
      },
      transaction: { id: `555:${0x16e9000}`, total_order: 2, data_collection_order: 1 },
    });
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it('marks snapshot reads with op "r" and a string snapshot marker', () => {
    const event = readEvent({ id: 7 }, at, { lsn: '1/0', readTimeMs: 5, marker: 'last' }, 6);
    expect(event.op).toBe('r');
    expect(event.source.snapshot).toBe('last');
    expect(event.source.lsn).toBe(2 ** 32);
    expect(event.transaction).toBeUndefined();
  });

  it('takes the key from after, or from before for a delete', () => {
    expect(eventKey(updateEvent(null, { a: 1, b: 2, c: 3 }, at, position), ['a', 'b'])).toEqual({
      a: 1,
      b: 2,
    });
    expect(eventKey(deleteEvent({ a: 9 }, at, position), ['a'])).toEqual({ a: 9 });
    expect(() => eventKey(insertEvent({ b: 1 }, at, position), ['a'])).toThrow(/"a"/);
    expect(() => eventKey(insertEvent({ a: UNAVAILABLE_VALUE }, at, position), ['a'])).toThrow();
  });
});
