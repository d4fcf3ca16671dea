import type { Pgoutput } from 'pg-logical-replication';
import { UNAVAILABLE_VALUE } from '../change-event/change-event.js';
import {
  beginTransaction,
  changeEventsFrom,
  noteOrigin,
  rowFromTuple,
} from './pgoutput-change-events.js';

const column = (name: string, typeOid: number, key = false) =>
  ({
    name,
    typeOid,
    flags: key ? 1 : 0,
    typeMod: -1,
    typeSchema: null,
    typeName: null,
    parser: (v: unknown) => v,
  }) as Pgoutput.RelationColumn;

const relation: Pgoutput.MessageRelation = {
  tag: 'relation',
  relationOid: 1,
  schema: 'public',
  name: 'cards',
  replicaIdentity: 'default',
  columns: [
    column('id', 23, true),
    column('published', 16),
    column('body', 25),
    column('views', 20),
  ],
  keyColumns: ['id'],
};

describe('pgoutput → change events', () => {
  it('converts text values and marks unchanged TOAST values unavailable', () => {
    expect(
      rowFromTuple(relation, {
        id: '7',
        published: 't',
        body: undefined,
        views: '9007199254740993',
      }),
    ).toEqual({
      id: 7,
      published: true,
      body: UNAVAILABLE_VALUE,
      views: '9007199254740993',
    });
  });

  it('keeps only the key of a REPLICA IDENTITY DEFAULT before-image (missing is not null)', () => {
    const transaction = beginTransaction({
      tag: 'begin',
      commitLsn: '00000000/00000100',
      commitTime: 5_000_000n,
      xid: 42,
    });
    const [event] = changeEventsFrom(
      { tag: 'delete', relation, key: { id: '7' }, old: null },
      '0/F0',
      transaction,
      'cards',
      'legacy',
    );
    expect(event?.op).toBe('d');
    expect(event?.before).toEqual({ id: 7 });
    expect(event?.source).toMatchObject({
      txId: 42,
      lsn: 0xf0,
      ts_ms: 5000,
      snapshot: 'false',
      table: 'cards',
    });
    expect(event?.transaction).toEqual({
      id: `42:${0x100}`,
      total_order: 1,
      data_collection_order: 1,
    });
  });

  it('numbers events within the transaction and per table', () => {
    const transaction = beginTransaction({
      tag: 'begin',
      commitLsn: '0/100',
      commitTime: 0n,
      xid: 1,
    });
    const insert = (id: string) =>
      ({ tag: 'insert', relation, new: { id, published: 'f', body: 'x', views: '1' } }) as const;
    const events = [insert('1'), insert('2')].flatMap((m) =>
      changeEventsFrom(m, '0/F0', transaction, 'p', 'db'),
    );
    expect(events.map((e) => e.transaction?.total_order)).toEqual([1, 2]);
    expect(events[1]?.after).toEqual({ id: 2, published: false, body: 'x', views: '1' });
  });

  describe('origin (echo suppression)', () => {
    const insert = {
      tag: 'insert',
      relation,
      new: { id: '1', published: 't', body: 'x', views: '1' },
    } as const;
    const begin = () =>
      beginTransaction({ tag: 'begin', commitLsn: '0/100', commitTime: 0n, xid: 1 });
    const origin = (originName: string) =>
      ({ tag: 'origin', originLsn: '0/10', originName }) as const;
    const skip = ['strangler_cards_reverse'];

    it('drops every change of a transaction applied by a skipped pipeline', () => {
      const transaction = begin();
      noteOrigin(transaction, origin('strangler_cards_reverse'), skip);
      expect(transaction).toMatchObject({ origin: 'strangler_cards_reverse', echo: true });
      expect(changeEventsFrom(insert, '0/F0', transaction, 'cards', 'legacy')).toEqual([]);
    });

    it("recognises the skipped pipeline's suffixed origins (a backfill's)", () => {
      for (const name of [
        'strangler_cards_reverse:backfill:12',
        'strangler_cards_reverse:backfill:7',
      ]) {
        const transaction = begin();
        noteOrigin(transaction, origin(name), skip);
        expect(transaction.echo).toBe(true);
      }
    });

    it('keeps transactions of other origins, of a name that only starts alike, and native ones', () => {
      for (const name of ['strangler_cards', 'strangler_cards_reverse_2', 'strangler_search']) {
        const transaction = begin();
        noteOrigin(transaction, origin(name), skip);
        expect(transaction).toMatchObject({ origin: name, echo: false });
        expect(changeEventsFrom(insert, '0/F0', transaction, 'cards', 'legacy')).toHaveLength(1);
      }
      const native = begin();
      expect(native).toMatchObject({ origin: null, echo: false });
      expect(changeEventsFrom(insert, '0/F0', native, 'cards', 'legacy')).toHaveLength(1);
    });
  });
});
