import { jest } from '@jest/globals';
import { syncMetrics } from '../src/metrics.js';
import { backfillTable } from '../src/pipeline/backfill-table.js';
import {
  dropPipelineSource,
  startPipeline,
  type RunningPipeline,
} from '../src/pipeline/start-pipeline.js';
import type { PipelineDefinition } from '../src/pipeline-definition/pipeline-definition.schema.js';
import { createTestDatabase } from '../../test-support/database.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

/**
 * Three databases with the same tables; every write to `parents` and `children`, native or
 * applied, appends to `write_log` (a trigger; not published), so a row rewritten by an echo
 * shows up as an extra entry.
 */
const SCHEMA = `
  CREATE TABLE parents (id int PRIMARY KEY, title text NOT NULL);
  CREATE TABLE children (id int PRIMARY KEY,
                         parent_id int NOT NULL REFERENCES parents (id) ON DELETE CASCADE,
                         body text);
  CREATE TABLE write_log (n bigserial PRIMARY KEY, tbl text NOT NULL, id int NOT NULL, op text NOT NULL);
  CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO write_log (tbl, id, op)
      VALUES (TG_TABLE_NAME, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, TG_OP);
    RETURN NULL;
  END $$;
  CREATE TRIGGER parents_log AFTER INSERT OR UPDATE OR DELETE ON parents
    FOR EACH ROW EXECUTE FUNCTION log_write();
  CREATE TRIGGER children_log AFTER INSERT OR UPDATE OR DELETE ON children
    FOR EACH ROW EXECUTE FUNCTION log_write();
`;

jest.setTimeout(90_000);

async function eventsHandled(pipeline: string): Promise<number> {
  return (await syncMetrics.eventsApplied.get()).values
    .filter((v) => v.labels.pipeline === pipeline)
    .reduce((sum, v) => sum + v.value, 0);
}

async function echoesSkipped(pipeline: string): Promise<number> {
  return (await syncMetrics.echoTransactionsSkipped.get()).values
    .filter((v) => v.labels.pipeline === pipeline)
    .reduce((sum, v) => sum + v.value, 0);
}

describe('two directions: echo suppression with replication origins (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  const urls = { a: '', b: '', c: '' };
  const running: RunningPipeline[] = [];
  let ab: PipelineDefinition;
  let ba: PipelineDefinition;
  let bc: PipelineDefinition;
  let nextBarrier = 1000;

  const rows = (url: string, sql: string, values: unknown[] = []) => fixture.rows(url, sql, values);
  const log = (url: string, tbl: string, ids: number[]) =>
    rows(url, `SELECT tbl, id, op FROM write_log WHERE tbl = $1 AND id = ANY($2) ORDER BY n`, [
      tbl,
      ids,
    ]);

  /**
   * A native write in `from`, awaited in `to`: a pipeline applies in source commit order, so
   * once it arrived, everything `from` committed before it has been applied or skipped.
   */
  async function barrier(from: string, to: string): Promise<void> {
    const id = (nextBarrier += 1);
    await fixture.exec(from, `INSERT INTO parents (id, title) VALUES (${id}, 'barrier')`);
    await eventually(
      async () => (await rows(to, `SELECT 1 FROM parents WHERE id = $1`, [id])).length === 1,
    );
  }

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-two-directions');
    urls.a = await createTestDatabase(fixture.cluster, 'a');
    urls.b = await createTestDatabase(fixture.cluster, 'b');
    urls.c = await createTestDatabase(fixture.cluster, 'c');
    for (const url of Object.values(urls)) await fixture.exec(url, SCHEMA);
    const tables = { parents: null, children: null };
    ab = fixture.definition(
      'ab',
      { sourceUrl: urls.a, targetUrl: urls.b },
      {
        tables,
        skipAppliedBy: ['ba'],
      },
    );
    ba = fixture.definition(
      'ba',
      { sourceUrl: urls.b, targetUrl: urls.a },
      {
        tables,
        skipAppliedBy: ['ab'],
        snapshot: { enabled: false },
      },
    );
    // A read model fed from B: it must still receive what `ab` applied to B.
    bc = fixture.definition('bc', { sourceUrl: urls.b, targetUrl: urls.c }, { tables });
    for (const definition of [ab, ba, bc]) running.push(await startPipeline(definition));
  }, 90_000);

  afterAll(async () => {
    for (const pipeline of running) await pipeline.stop().catch(() => undefined);
    await fixture?.stop();
  }, 60_000);

  it('tags applied transactions with the pipeline origin and records the source position', async () => {
    await fixture.exec(urls.a, `INSERT INTO parents (id, title) VALUES (1, 'from a')`);
    await eventually(async () => (await rows(urls.b, `SELECT 1 FROM parents WHERE id = 1`)).length);
    const origins = await rows(
      urls.b,
      `SELECT external_id, remote_lsn::text AS remote_lsn FROM pg_replication_origin_status
        WHERE external_id IN ('strangler_ab', 'strangler_ba', 'strangler_bc')
        ORDER BY external_id`,
    );
    // Origins are server-wide; each pipeline's apply has set up its own.
    expect(origins.map((o) => o.external_id)).toEqual([
      'strangler_ab',
      'strangler_ba',
      'strangler_bc',
    ]);
    const applied = await rows(
      urls.b,
      `SELECT applied_lsn::text AS lsn FROM _strangler_sync_state WHERE pipeline = 'ab'`,
    );
    expect(origins[0]?.remote_lsn).toBe(applied[0]?.lsn);
  });

  it('a native insert, update and delete in A reach B (and C) exactly once and never come back', async () => {
    const eventsBefore = await eventsHandled('ba');
    const echoesBefore = await echoesSkipped('ba');

    await fixture.exec(urls.a, `INSERT INTO children (id, parent_id, body) VALUES (11, 1, 'c')`);
    await fixture.exec(urls.a, `UPDATE parents SET title = 'changed in a' WHERE id = 1`);
    await fixture.exec(urls.a, `INSERT INTO children (id, parent_id, body) VALUES (12, 1, 'gone')`);
    await fixture.exec(urls.a, `DELETE FROM children WHERE id = 12`);
    await eventually(async () => {
      const [parent] = await rows(urls.b, `SELECT title FROM parents WHERE id = 1`);
      const children = await rows(urls.b, `SELECT id FROM children ORDER BY id`);
      return parent?.title === 'changed in a' && JSON.stringify(children) === '[{"id":11}]';
    });
    const xmin = `SELECT xmin::text AS xmin FROM parents WHERE id = 1`;
    const [before] = await rows(urls.a, xmin);
    await barrier(urls.b, urls.a);

    // Exactly once in B: one write per native change.
    expect(await log(urls.b, 'parents', [1])).toEqual([
      { tbl: 'parents', id: 1, op: 'INSERT' },
      { tbl: 'parents', id: 1, op: 'UPDATE' },
    ]);
    expect(await log(urls.b, 'children', [11, 12])).toEqual([
      { tbl: 'children', id: 11, op: 'INSERT' },
      { tbl: 'children', id: 12, op: 'INSERT' },
      { tbl: 'children', id: 12, op: 'DELETE' },
    ]);
    // Not re-applied to A: A's rows were written by the native changes only.
    expect(await log(urls.a, 'parents', [1])).toHaveLength(2);
    expect(await log(urls.a, 'children', [11, 12])).toHaveLength(3);
    expect(await rows(urls.a, xmin)).toEqual([before]);
    // The reverse pipeline handled only the barrier's event and skipped `ab`'s transactions.
    expect((await eventsHandled('ba')) - eventsBefore).toBe(1);
    expect(await echoesSkipped('ba')).toBeGreaterThan(echoesBefore);
    expect((await running[1]?.status())?.echoTransactionsSkipped).toBeGreaterThan(0);
  });

  it('a third pipeline (B -> C, no skipAppliedBy) still receives the rows A-originated', async () => {
    await eventually(async () => {
      const [parent] = await rows(urls.c, `SELECT title FROM parents WHERE id = 1`);
      const children = await rows(urls.c, `SELECT id FROM children ORDER BY id`);
      return parent?.title === 'changed in a' && JSON.stringify(children) === '[{"id":11}]';
    });
    expect(await echoesSkipped('bc')).toBe(0);
  });

  it('a native insert, update and delete in B reach A exactly once and never come back', async () => {
    const eventsBefore = await eventsHandled('ab');
    const echoesBefore = await echoesSkipped('ab');
    await fixture.exec(
      urls.b,
      `BEGIN;
       INSERT INTO parents (id, title) VALUES (2, 'from b');
       INSERT INTO children (id, parent_id, body) VALUES (21, 2, 'x'), (22, 2, 'y');
       COMMIT`,
    );
    await fixture.exec(urls.b, `UPDATE children SET body = 'changed in b' WHERE id = 21`);
    await fixture.exec(urls.b, `DELETE FROM children WHERE id = 22`);
    await eventually(async () => {
      const children = await rows(urls.a, `SELECT id, body FROM children WHERE parent_id = 2`);
      return JSON.stringify(children) === '[{"id":21,"body":"changed in b"}]';
    });
    await barrier(urls.a, urls.b);

    expect(await log(urls.a, 'children', [21, 22])).toEqual([
      { tbl: 'children', id: 21, op: 'INSERT' },
      { tbl: 'children', id: 22, op: 'INSERT' },
      { tbl: 'children', id: 21, op: 'UPDATE' },
      { tbl: 'children', id: 22, op: 'DELETE' },
    ]);
    expect(await log(urls.b, 'children', [21, 22])).toHaveLength(4);
    expect(await log(urls.b, 'parents', [2])).toHaveLength(1);
    expect((await eventsHandled('ab')) - eventsBefore).toBe(1);
    expect(await echoesSkipped('ab')).toBeGreaterThan(echoesBefore);
    // C sees B's native rows too.
    await eventually(
      async () => (await rows(urls.c, `SELECT 1 FROM children WHERE id = 21`)).length === 1,
    );
  });

  it('a cascade delete in A removes the rows in B and C once and does not echo', async () => {
    await fixture.exec(
      urls.a,
      `BEGIN;
       INSERT INTO parents (id, title) VALUES (3, 'to delete');
       INSERT INTO children (id, parent_id, body) VALUES (31, 3, 'a'), (32, 3, 'b');
       COMMIT`,
    );
    await eventually(
      async () => (await rows(urls.c, `SELECT 1 FROM children WHERE parent_id = 3`)).length === 2,
    );
    const eventsBefore = await eventsHandled('ba');
    await fixture.exec(urls.a, `DELETE FROM parents WHERE id = 3`);
    await eventually(
      async () =>
        (await rows(urls.c, `SELECT 1 FROM parents WHERE id = 3`)).length === 0 &&
        (await rows(urls.c, `SELECT 1 FROM children WHERE parent_id = 3`)).length === 0,
    );
    expect(await rows(urls.b, `SELECT 1 FROM children WHERE parent_id = 3`)).toEqual([]);
    await barrier(urls.b, urls.a);
    expect((await eventsHandled('ba')) - eventsBefore).toBe(1);
    // A: insert of 3, 31, 32 and the (cascade) deletes, each once.
    expect(await log(urls.a, 'children', [31, 32])).toHaveLength(4);
    expect(await log(urls.a, 'parents', [3])).toEqual([
      { tbl: 'parents', id: 3, op: 'INSERT' },
      { tbl: 'parents', id: 3, op: 'DELETE' },
    ]);
    for (const url of [urls.a, urls.b, urls.c])
      expect(await rows(url, `SELECT count(*)::int AS n FROM _strangler_dead_letters`)).toEqual([
        { n: 0 },
      ]);
  });

  it("a backfill's writes carry a suffixed origin the other direction still skips", async () => {
    const eventsBefore = await eventsHandled('ba');
    const echoesBefore = await echoesSkipped('ba');
    const aLogBefore = await log(urls.a, 'children', [11]);
    const bLogBefore = await log(urls.b, 'children', [11]);
    // Rewrites B's children as of a fresh snapshot, under strangler_ab:backfill.
    const { rowsCopied } = await backfillTable(ab, 'children');
    expect(rowsCopied).toBeGreaterThan(0);
    expect(await log(urls.b, 'children', [11])).toEqual([
      ...bLogBefore,
      { tbl: 'children', id: 11, op: 'UPDATE' },
    ]);
    await barrier(urls.b, urls.a);
    expect(await log(urls.a, 'children', [11])).toEqual(aLogBefore);
    expect((await eventsHandled('ba')) - eventsBefore).toBe(1);
    expect(await echoesSkipped('ba')).toBeGreaterThan(echoesBefore);
    // The backfill's origin stays (dropped by `drop`): a lagging reader still has to name it.
    expect(
      await rows(
        urls.b,
        `SELECT roname FROM pg_replication_origin WHERE roname LIKE 'strangler\\_ab:%'`,
      ),
    ).toEqual([{ roname: 'strangler_ab:backfill' }]);
  });

  it('drop removes the pipeline origin; a target role without the grant gets a clear error', async () => {
    const stopped = running.shift();
    await stopped?.stop();
    expect(await dropPipelineSource(ab, {})).toEqual({
      origins: ['strangler_ab', 'strangler_ab:backfill'],
    });
    expect(
      await rows(urls.b, `SELECT 1 FROM pg_replication_origin WHERE roname = 'strangler_ab'`),
    ).toEqual([]);

    await fixture.exec(
      urls.b,
      `CREATE ROLE sync_no_origin LOGIN PASSWORD 'p';
       GRANT ALL ON ALL TABLES IN SCHEMA public TO sync_no_origin;
       GRANT ALL ON SCHEMA public TO sync_no_origin`,
    );
    const restricted = new URL(urls.b);
    restricted.username = 'sync_no_origin';
    restricted.password = 'p';
    const unprivileged = fixture.definition(
      'ab_unprivileged',
      { sourceUrl: urls.a, targetUrl: restricted.toString() },
      { tables: { parents: null } },
    );
    await expect(startPipeline(unprivileged)).rejects.toThrow(
      /strangler_ab_unprivileged.*GRANT EXECUTE ON FUNCTION pg_replication_origin_oid\(text\), pg_replication_origin_create\(text\)/s,
    );
  });
});
