import { jest } from '@jest/globals';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresCluster,
} from '../../stack/postgres-cluster.js';
import { createTestDatabase } from '../../test-support/database.js';
import { syncMetrics } from '../src/metrics.js';
import { startPipeline, type RunningPipeline } from '../src/pipeline/start-pipeline.js';
import { formatVerifyReport, verifyPipeline } from '../src/verify/verify-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

jest.setTimeout(60_000);

const SOURCE = `
  CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text);
  CREATE TABLE marker (id int PRIMARY KEY);
  INSERT INTO accounts SELECT g, 1000, 'n' || g FROM generate_series(1, 2000) g;
  CREATE FUNCTION workload_step(step int) RETURNS int LANGUAGE plpgsql AS $$
  DECLARE n int; total int := 0; base int := 100000 + step * 10;
  BEGIN
    UPDATE accounts SET balance = balance + 1, note = 'step ' || step
     WHERE id IN (SELECT 1 + floor(random() * 2000)::int FROM generate_series(1, 10));
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    INSERT INTO accounts SELECT base + g, step, 'new' FROM generate_series(0, 9) g;
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    DELETE FROM accounts WHERE id BETWEEN base - 30 AND base - 25;
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    RETURN total;
  END $$;
`;
const TARGET = `
  CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text);
  CREATE TABLE marker (id int PRIMARY KEY);
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function counter(metric: typeof syncMetrics.targetReconnects, pipeline: string) {
  return (await metric.get()).values.find((v) => v.labels.pipeline === pipeline)?.value ?? 0;
}

/**
 * The target database on a server of its own, stopped (fast shutdown: its sessions end with
 * 57P01) and started again while the source keeps changing.
 */
describe('sync pipeline: target database stopped and restarted mid-stream (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  let targetServer: EmbeddedPostgresCluster;
  const running: RunningPipeline[] = [];

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-outage-source');
    targetServer = await startEmbeddedPostgres({ label: 'test-sync-outage-target' });
  }, 60_000);
  afterEach(async () => {
    for (const pipeline of running.splice(0)) await pipeline.stop().catch(() => undefined);
  });
  afterAll(async () => {
    await fixture?.stop();
    await targetServer?.stop();
  }, 60_000);

  async function setUp(name: string) {
    const sourceUrl = await createTestDatabase(fixture.cluster, 'src');
    const targetUrl = await createTestDatabase(targetServer, 'tgt');
    await fixture.exec(sourceUrl, SOURCE);
    await fixture.exec(targetUrl, TARGET);
    const urls = { sourceUrl, targetUrl };
    const definition = fixture.definition(name, urls, {
      tables: { accounts: null, marker: null },
      deadLetters: 'stop',
    });
    const writer = await fixture.client(sourceUrl);
    let step = 0;
    let writing = false;
    let load: Promise<number> = Promise.resolve(0);
    const workload = {
      /** Set-based source transactions (about 25 changes each) until `stop()`. */
      start() {
        writing = true;
        load = (async () => {
          let changes = 0;
          while (writing) {
            step += 1;
            await writer.query('BEGIN');
            const result = await writer.query<{ n: number }>('SELECT workload_step($1) AS n', [
              step,
            ]);
            await writer.query('COMMIT');
            changes += result.rows[0]?.n ?? 0;
            await sleep(20);
          }
          return changes;
        })();
      },
      async stop(): Promise<number> {
        writing = false;
        return load;
      },
    };
    /** Writes a marker and waits until the target has applied the source up to it. */
    const caughtUp = async (id: number) => {
      await writer.query('INSERT INTO marker VALUES ($1)', [id]);
      await eventually(
        async () =>
          (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM marker WHERE id = $1', [id]))
            .length === 1,
        30_000,
      );
    };
    const identical = async () => {
      const report = await verifyPipeline(definition, urls);
      expect(formatVerifyReport(report)).toMatch(new RegExp(`^pipeline ${name}: IDENTICAL`));
      expect(await fixture.rows(urls.targetUrl, 'SELECT * FROM _strangler_dead_letters')).toEqual(
        [],
      );
    };
    return { urls, definition, workload, caughtUp, identical };
  }

  it('rides out a short outage: reconnects with backoff and applies the interrupted batch again', async () => {
    const { urls, definition, workload, caughtUp, identical } = await setUp('outage');
    const pipeline = await startPipeline(definition, urls);
    running.push(pipeline);
    let failure: unknown = null;
    pipeline.done.catch((error: unknown) => (failure = error));
    const reconnects = await counter(syncMetrics.targetReconnects, 'outage');

    // While streaming under load.
    workload.start();
    await sleep(1000);
    await targetServer.stopServer();
    await sleep(2500); // the source keeps changing
    await targetServer.startServer();
    await sleep(1000);
    const changes = await workload.stop();
    expect(changes).toBeGreaterThan(1000);
    await caughtUp(1);

    // While idle: the connection dies between transactions.
    await targetServer.stopServer();
    await targetServer.startServer();
    await caughtUp(2);

    expect(failure).toBeNull();
    expect((await pipeline.status()).phase).toBe('streaming');
    expect(await counter(syncMetrics.targetReconnects, 'outage')).toBeGreaterThan(reconnects);
    await identical();
  });

  it('fails clearly when the outage outlasts the retry budget, and a restart catches up', async () => {
    const { urls, definition, workload, caughtUp, identical } = await setUp('long_outage');
    const pipeline = await startPipeline(definition, {
      ...urls,
      targetRetry: { giveUpAfterMs: 1500, maxDelayMs: 300 },
    });
    running.push(pipeline);
    const failed = pipeline.done.then(
      () => null,
      (error: unknown) => error,
    );

    workload.start();
    await sleep(800);
    await targetServer.stopServer();
    const error = await failed;
    expect(String(error)).toMatch(/target database unreachable for \d+ s/);
    expect((await pipeline.status().catch(() => null))?.phase ?? 'failed').toBe('failed');
    await sleep(500); // the source keeps changing with no pipeline running
    await targetServer.startServer();
    const changes = await workload.stop();
    expect(changes).toBeGreaterThan(200);

    // The supervisor's part: start it again; it resumes from the last applied transaction.
    running.push(await startPipeline(definition, urls));
    await caughtUp(1);
    await identical();
  });
});
