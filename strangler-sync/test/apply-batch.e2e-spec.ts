import { jest } from '@jest/globals';
import type pg from 'pg';
import pino from 'pino';
import { DeadLetterStopError, type PositionedEvent } from '../src/apply/change-applier.js';
import { ensureSyncTables } from '../src/apply/sync-bookkeeping.js';
import { TargetBatch } from '../src/apply/target-batch.js';
import {
  deleteEvent,
  insertEvent,
  updateEvent,
  type Row,
} from '../src/change-event/change-event.js';
import { syncMetricsRegistry } from '../src/metrics.js';
import { applierFor, compileMappings } from '../src/pipeline/pipeline-connections.js';
import { SyncFixture } from './support/sync-fixture.js';

jest.setTimeout(60_000);

/**
 * The one apply algorithm (TargetBatch over ChangeApplier.applyMany), driven with hand-made
 * change events so that many source transactions are surely in one target transaction: the
 * set-based result must equal applying the events one by one in source order.
 */
const SCHEMA = `
  CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL CHECK (name <> 'poison'));
  CREATE TABLE children (
    id int PRIMARY KEY,
    parent_id int NOT NULL REFERENCES parents (id),
    note text);`;

type Change =
  | { op: 'c'; table: 'parents' | 'children'; row: Row }
  | { op: 'u'; table: 'parents' | 'children'; before?: Row; row: Row }
  | { op: 'd'; table: 'parents' | 'children'; row: Row };

/** Source transactions of changes → events at consecutive commit LSNs (seq = order in it). */
function sourceTransactions(transactions: Change[][], firstLsn = 0x1000): PositionedEvent[][] {
  return transactions.map((changes, t) => {
    const commitLsn = `0/${(firstLsn + t * 0x100).toString(16).toUpperCase()}`;
    return changes.map((change, i) => {
      const at = { name: 'batch', db: 'src', schema: 'public', table: change.table };
      const position = {
        txId: 100 + t,
        lsn: commitLsn,
        commitLsn,
        commitTimeMs: Date.now(),
        totalOrder: i + 1,
        tableOrder: i + 1,
      };
      const rowPosition = { lsn: commitLsn, seq: i + 1 };
      if (change.op === 'c')
        return { event: insertEvent(change.row, at, position), position: rowPosition };
      if (change.op === 'u')
        return {
          event: updateEvent(change.before ?? null, change.row, at, position),
          position: rowPosition,
        };
      return { event: deleteEvent(change.row, at, position), position: rowPosition };
    });
  });
}

/** Counts the statements a client sends (BEGIN/COMMIT/SAVEPOINT included). */
function countStatements(client: pg.Client): { readonly count: number } {
  const counter = { count: 0 };
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (
    ...args: unknown[]
  ) => {
    counter.count += 1;
    return query(...args);
  };
  return counter;
}

async function eventsTotal(pipeline: string, outcome: string): Promise<number> {
  const metric = (await syncMetricsRegistry.getMetricsAsJSON()).find(
    (m) => m.name === 'strangler_sync_events_total',
  ) as { values: { labels: Record<string, string>; value: number }[] } | undefined;
  return (metric?.values ?? [])
    .filter((v) => v.labels.pipeline === pipeline && v.labels.outcome === outcome)
    .reduce((sum, v) => sum + v.value, 0);
}

describe('the apply algorithm: many source transactions in one target transaction, set-based', () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-apply-batch');
  }, 60_000);
  afterAll(async () => {
    await fixture?.stop();
  }, 60_000);

  async function setUp(name: string, deadLetters: 'stop' | 'continue' = 'continue') {
    const urls = await fixture.databases(SCHEMA, SCHEMA);
    const definition = fixture.definition(name, urls, {
      deadLetters,
      tables: { parents: null, children: null },
    });
    const source = await fixture.client(urls.sourceUrl);
    const target = await fixture.client(urls.targetUrl);
    await ensureSyncTables(target, 'public');
    const applier = applierFor(definition, await compileMappings(definition, source, target));
    const batch = new TargetBatch(target, applier, name, pino({ level: 'silent' }));
    const apply = async (transactions: PositionedEvent[][]) => {
      for (const events of transactions) {
        for (const { event, position } of events) await batch.apply(event, position);
        batch.markBoundary();
      }
      return batch.commit();
    };
    const rows = (sql: string) => fixture.rows(urls.targetUrl, sql);
    return { target, batch, apply, rows };
  }

  // Collapsed keys, a primary-key update, a child moved to another parent before its first
  // parent is deleted, a row inserted and deleted within the batch, children after parents.
  const history: Change[][] = [
    [
      { op: 'c', table: 'parents', row: { id: 1, name: 'one' } },
      { op: 'c', table: 'children', row: { id: 10, parent_id: 1, note: 'a' } },
      { op: 'c', table: 'parents', row: { id: 2, name: 'two' } },
    ],
    [
      { op: 'u', table: 'parents', row: { id: 1, name: 'one, renamed' } },
      { op: 'u', table: 'children', row: { id: 10, parent_id: 2, note: 'moved' } },
      { op: 'c', table: 'children', row: { id: 11, parent_id: 2, note: 'b' } },
    ],
    [
      { op: 'u', table: 'children', before: { id: 11 }, row: { id: 12, parent_id: 2, note: 'b' } },
      { op: 'c', table: 'parents', row: { id: 3, name: 'short-lived' } },
    ],
    [
      { op: 'd', table: 'parents', row: { id: 3 } },
      { op: 'u', table: 'parents', row: { id: 2, name: 'two, renamed' } },
      { op: 'u', table: 'parents', row: { id: 2, name: 'two, final' } },
    ],
  ];

  it('ends where applying the events one by one ends, in a few statements, and a replay changes nothing', async () => {
    const { target, apply, rows } = await setUp('collapse');
    const statements = countStatements(target);
    const transactions = sourceTransactions(history);
    const events = transactions.flat().length;
    const applied = await eventsTotal('collapse', 'applied');

    expect(await apply(transactions)).toBe(events);

    expect(await rows('SELECT id, name FROM parents ORDER BY id')).toEqual([
      { id: 1, name: 'one, renamed' },
      { id: 2, name: 'two, final' },
    ]);
    expect(await rows('SELECT id, parent_id, note FROM children ORDER BY id')).toEqual([
      { id: 10, parent_id: 2, note: 'moved' },
      { id: 12, parent_id: 2, note: 'b' },
    ]);
    // Each row's version is the position of its last change; deleted keys keep tombstones.
    expect(
      await rows(
        `SELECT target_table, row_key::text, source_lsn::text, source_seq, deleted
           FROM _strangler_row_versions ORDER BY target_table, row_key`,
      ),
    ).toEqual([
      {
        target_table: 'public.children',
        row_key: '[10]',
        source_lsn: '0/1100',
        source_seq: 2,
        deleted: false,
      },
      {
        target_table: 'public.children',
        row_key: '[11]',
        source_lsn: '0/1200',
        source_seq: 1,
        deleted: true,
      },
      {
        target_table: 'public.children',
        row_key: '[12]',
        source_lsn: '0/1200',
        source_seq: 1,
        deleted: false,
      },
      {
        target_table: 'public.parents',
        row_key: '[1]',
        source_lsn: '0/1100',
        source_seq: 1,
        deleted: false,
      },
      {
        target_table: 'public.parents',
        row_key: '[2]',
        source_lsn: '0/1300',
        source_seq: 3,
        deleted: false,
      },
      {
        target_table: 'public.parents',
        row_key: '[3]',
        source_lsn: '0/1300',
        source_seq: 1,
        deleted: true,
      },
    ]);
    // BEGIN, a delete and an upsert statement per table, COMMIT: not one per event.
    expect(statements.count).toBeLessThanOrEqual(6);
    expect((await eventsTotal('collapse', 'applied')) - applied).toBe(events);

    // The same batch again (a replay after a crash before the slot was acknowledged): no-ops.
    const skipped = await eventsTotal('collapse', 'skipped');
    await apply(sourceTransactions(history));
    expect((await eventsTotal('collapse', 'skipped')) - skipped).toBe(events);
    expect(await rows('SELECT id, name FROM parents ORDER BY id')).toEqual([
      { id: 1, name: 'one, renamed' },
      { id: 2, name: 'two, final' },
    ]);
  });

  it('falls back to the source order when the set-based order breaks a foreign key', async () => {
    const { apply, rows } = await setUp('order');
    await apply(sourceTransactions(history));
    // Deletes go first set-based: deleting parent 1 while child 10 (in the target) still
    // points to it is refused; the batch is applied again in source order and succeeds.
    const later: Change[][] = [
      [{ op: 'u', table: 'children', row: { id: 10, parent_id: 2, note: 'stays' } }],
      [
        { op: 'c', table: 'parents', row: { id: 4, name: 'four' } },
        { op: 'u', table: 'children', row: { id: 12, parent_id: 4, note: 'b' } },
      ],
      [{ op: 'u', table: 'children', row: { id: 10, parent_id: 4, note: 'moved again' } }],
      [{ op: 'd', table: 'parents', row: { id: 2 } }],
    ];
    await apply(sourceTransactions(later, 0x2000));
    expect(await rows('SELECT id, name FROM parents ORDER BY id')).toEqual([
      { id: 1, name: 'one, renamed' },
      { id: 4, name: 'four' },
    ]);
    expect(await rows('SELECT id, parent_id FROM children ORDER BY id')).toEqual([
      { id: 10, parent_id: 4 },
      { id: 12, parent_id: 4 },
    ]);
    expect(await rows('SELECT count(*)::int AS n FROM _strangler_dead_letters')).toEqual([
      { n: 0 },
    ]);
  });

  it('dead-letters only the failing event of a large batch (continue)', async () => {
    const { apply, rows } = await setUp('isolate');
    const transactions: Change[][] = [];
    for (let t = 0; t < 50; t += 1)
      transactions.push(
        [0, 1, 2, 3].map((i) => ({
          op: 'c' as const,
          table: 'parents' as const,
          row: { id: t * 4 + i, name: t * 4 + i === 77 ? 'poison' : `p${t * 4 + i}` },
        })),
      );
    await apply(sourceTransactions(transactions));
    expect(await rows('SELECT count(*)::int AS n FROM parents')).toEqual([{ n: 199 }]);
    expect(await rows('SELECT 1 FROM parents WHERE id = 77')).toEqual([]);
    expect(await rows(`SELECT event->'after'->>'id' AS id FROM _strangler_dead_letters`)).toEqual([
      { id: '77' },
    ]);
  });

  it('under stop, keeps the whole source transactions before the poison one and halts', async () => {
    const { batch, apply, rows } = await setUp('halt', 'stop');
    const transactions = sourceTransactions([
      [{ op: 'c', table: 'parents', row: { id: 1, name: 'one' } }],
      [
        { op: 'c', table: 'parents', row: { id: 2, name: 'two' } },
        { op: 'c', table: 'parents', row: { id: 3, name: 'three' } },
      ],
      [
        { op: 'c', table: 'parents', row: { id: 4, name: 'four' } },
        { op: 'c', table: 'parents', row: { id: 5, name: 'poison' } },
      ],
      [{ op: 'c', table: 'parents', row: { id: 6, name: 'six' } }],
    ]);
    const failure = await apply(transactions).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeadLetterStopError);
    const poison = (failure as DeadLetterStopError).event;
    expect(poison.after).toEqual({ id: 5, name: 'poison' });
    expect(await batch.keepCompleted(poison)).toBe(3);
    await batch.commit();
    await batch.recordStop(failure as DeadLetterStopError);
    expect(await rows('SELECT id FROM parents ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 3 },
    ]);
    expect(await rows('SELECT count(*)::int AS n FROM _strangler_dead_letters')).toEqual([
      { n: 1 },
    ]);
  });
});
