import { jest } from '@jest/globals';
import { insertEvent } from '../src/change-event/change-event.js';
import { syncMetricsRegistry } from '../src/metrics.js';
import { applierFor, compileMappings } from '../src/pipeline/pipeline-connections.js';
import { backfillTable } from '../src/pipeline/backfill-table.js';
import { pruneTombstones } from '../src/pipeline/prune-tombstones.js';
import { startPipeline, type RunningPipeline } from '../src/pipeline/start-pipeline.js';
import { verifyPipeline } from '../src/verify/verify-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

jest.setTimeout(60_000);

const SOURCE = `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
                INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g;`;
const TARGET = `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);`;

describe('sync pipeline: key changes, truncate, backfill, status, metrics (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  const running: RunningPipeline[] = [];

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-operations');
  }, 60_000);
  afterEach(async () => {
    for (const pipeline of running.splice(0)) await pipeline.stop();
  });
  afterAll(async () => {
    await fixture?.stop();
  }, 60_000);

  it('moves a row whose primary key changes, and a replayed older insert does not resurrect it', async () => {
    const urls = await fixture.databases(SOURCE, TARGET);
    const definition = fixture.definition('keys', urls, { tables: { items: null } });
    running.push(await startPipeline(definition, urls));
    const source = await fixture.client(urls.sourceUrl);
    await source.query(`UPDATE items SET id = 1001, name = 'moved' WHERE id = 1`);
    await source.query(`INSERT INTO items VALUES (2000, 'marker')`);
    await eventually(
      async () =>
        (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM items WHERE id = 2000')).length === 1,
    );
    expect(
      await fixture.rows(urls.targetUrl, 'SELECT id, name FROM items WHERE id IN (1, 1001)'),
    ).toEqual([{ id: 1001, name: 'moved' }]);
    expect(
      await fixture.rows(
        urls.targetUrl,
        `SELECT deleted FROM _strangler_row_versions WHERE target_table = 'public.items' AND row_key = '[1]'`,
      ),
    ).toEqual([{ deleted: true }]);
    expect((await verifyPipeline(definition, urls)).identical).toBe(true);

    // Replay the original insert of id 1 (an older position than its tombstone): nothing happens.
    const target = await fixture.client(urls.targetUrl);
    const mappings = await compileMappings(definition, source, target);
    const applier = applierFor(definition, mappings);
    const at = { name: 'keys', db: 'src', schema: 'public', table: 'items' };
    const old = insertEvent({ id: 1, name: 'item 1' }, at, {
      txId: 1,
      lsn: '0/10',
      commitLsn: '0/10',
      commitTimeMs: 0,
      totalOrder: 1,
      tableOrder: 1,
    });
    await target.query('BEGIN');
    expect(await applier.apply(target, old, { lsn: '0/10', seq: 1 })).toBe('skipped');
    await target.query('COMMIT');
    expect(await fixture.rows(urls.targetUrl, 'SELECT 1 FROM items WHERE id = 1')).toEqual([]);

    // Once the slot has confirmed past it, the tombstone can go.
    await source.query(`INSERT INTO items VALUES (2001, 'another marker')`);
    await eventually(async () => (await pruneTombstones(definition, urls)).pruned === 1, 20_000);
    expect(
      await fixture.rows(
        urls.targetUrl,
        `SELECT 1 FROM _strangler_row_versions WHERE row_key = '[1]'`,
      ),
    ).toEqual([]);
  });

  it('copies a table added to the definition of a running pipeline on its next start', async () => {
    const urls = await fixture.databases(
      `${SOURCE} CREATE TABLE extra (id int PRIMARY KEY); INSERT INTO extra SELECT generate_series(1, 30);`,
      `${TARGET} CREATE TABLE extra (id int PRIMARY KEY);`,
    );
    const first = fixture.definition('grow', urls, { tables: { items: null } });
    const pipeline = await startPipeline(first, urls);
    await pipeline.stop();
    const source = await fixture.client(urls.sourceUrl);
    await source.query('INSERT INTO extra VALUES (31)');
    await source.query(`UPDATE items SET name = 'while stopped' WHERE id = 5`);
    const grown = fixture.definition('grow', urls, { tables: { items: null, extra: null } });
    running.push(await startPipeline(grown, urls));
    await source.query('INSERT INTO extra VALUES (32)');
    await eventually(
      async () => (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM extra')).length === 32,
    );
    expect((await verifyPipeline(grown, urls)).identical).toBe(true);
  });

  it('replicates a TRUNCATE as deleting every row', async () => {
    const urls = await fixture.databases(SOURCE, TARGET);
    const definition = fixture.definition('truncate', urls, { tables: { items: null } });
    running.push(await startPipeline(definition, urls));
    const source = await fixture.client(urls.sourceUrl);
    await source.query('TRUNCATE items');
    await source.query(`INSERT INTO items VALUES (7, 'after')`);
    await eventually(
      async () => (await fixture.rows(urls.targetUrl, 'SELECT id FROM items')).length === 1,
    );
    expect(await fixture.rows(urls.targetUrl, 'SELECT id, name FROM items')).toEqual([
      { id: 7, name: 'after' },
    ]);
  });

  it('backfills a table while the pipeline streams, and reports status and metrics', async () => {
    const urls = await fixture.databases(SOURCE, TARGET);
    const definition = fixture.definition('backfill', urls, {
      tables: { items: null },
      snapshot: { chunkSize: 100 },
    });
    const pipeline = await startPipeline(definition, urls);
    running.push(pipeline);
    // Damage the target behind the pipeline's back; backfill repairs it while changes flow.
    await fixture.exec(
      urls.targetUrl,
      `DELETE FROM items WHERE id <= 50; UPDATE items SET name = 'wrong' WHERE id = 60;
                                        INSERT INTO items VALUES (9999, 'stray')`,
    );
    expect((await verifyPipeline(definition, urls)).identical).toBe(false);
    const source = await fixture.client(urls.sourceUrl);
    const writes = (async () => {
      for (let i = 0; i < 100; i += 1)
        await source.query(`UPDATE items SET name = 'live ' || $1 WHERE id = $2`, [
          i,
          1 + (i % 200),
        ]);
    })();
    const result = await backfillTable(definition, 'items', urls);
    await writes;
    expect(result.rowsCopied).toBe(500);
    await source.query(`INSERT INTO items VALUES (3000, 'marker')`);
    await eventually(
      async () =>
        (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM items WHERE id = 3000')).length === 1,
    );
    const report = await verifyPipeline(definition, urls);
    expect(report.tables[0]?.differences).toEqual([]);
    expect(report.identical).toBe(true);

    const status = await pipeline.status();
    expect(status).toMatchObject({
      pipeline: 'backfill',
      phase: 'streaming',
      deadLetters: 0,
      error: null,
    });
    expect(status.slot).toMatchObject({
      slot: 'strangler_backfill',
      active: true,
      plugin: 'pgoutput',
    });
    expect(status.appliedLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const metrics = await syncMetricsRegistry.metrics();
    expect(metrics).toMatch(
      /strangler_sync_events_total\{pipeline="backfill",op="u",outcome="applied"\} \d+/,
    );
    expect(metrics).toContain('strangler_sync_lag_bytes');
  });
});
