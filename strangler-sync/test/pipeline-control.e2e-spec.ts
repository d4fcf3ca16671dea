import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildCli, formatStatus } from '../src/cli.js';
import { syncMetricsRegistry } from '../src/metrics.js';
import { readPipelineStatus, requestStop } from '../src/pipeline/pipeline-control.js';
import { startPipeline, type RunningPipeline } from '../src/pipeline/start-pipeline.js';
import { verifyPipeline } from '../src/verify/verify-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

jest.setTimeout(60_000);

const SOURCE = `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0);
                INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g;`;
const TARGET = `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL CHECK (qty >= 0));`;

/** Runs the CLI in this process and returns what it printed on stdout. */
async function cli(args: string[]): Promise<{ out: string; exitCode: number }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await buildCli()
      .exitOverride()
      .parseAsync(['node', 'strangler-sync', ...args]);
    return { out: chunks.join(''), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

describe('sync pipeline: status, stop and metrics (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  let dir: string;
  const running: RunningPipeline[] = [];

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-control');
    dir = await mkdtemp(path.join(os.tmpdir(), 'strangler-sync-control-'));
  }, 60_000);
  afterEach(async () => {
    for (const pipeline of running.splice(0)) await pipeline.stop();
  });
  afterAll(async () => {
    await fixture?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('status reports lag in bytes and seconds, events/s and dead letters; stop leaves the slot for start', async () => {
    const urls = await fixture.databases(SOURCE, TARGET);
    const definition = fixture.definition('control', urls, {
      tables: { items: null },
      deadLetters: 'continue',
    });
    const file = path.join(dir, 'control.pipeline.yaml');
    await writeFile(
      file,
      `source:\n  url: ${urls.sourceUrl}\ntarget:\n  url: ${urls.targetUrl}\n` +
        `deadLetters: continue\ntables:\n  items:\n`,
    );
    const pipeline = await startPipeline(definition, urls);
    running.push(pipeline);
    const source = await fixture.client(urls.sourceUrl);

    // A burst, and one change the target refuses (CHECK): dead-lettered under `continue`.
    for (let i = 0; i < 20; i += 1)
      await source.query(`UPDATE items SET name = 'burst ' || $1 WHERE id <= 100`, [i]);
    await source.query('UPDATE items SET qty = -1 WHERE id = 7');
    await source.query(`INSERT INTO items VALUES (1000, 'marker')`);
    await eventually(
      async () =>
        (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM items WHERE id = 1000')).length === 1,
    );
    const busy = await eventually(async () => {
      const status = await readPipelineStatus(definition, urls);
      return (status.eventsPerSecond ?? 0) > 0 ? status : undefined;
    });
    if (!busy) throw new Error('unreachable');
    expect(busy).toMatchObject({
      pipeline: 'control',
      phase: 'streaming',
      deadLetters: 1,
      stopRequested: false,
      error: null,
    });
    expect(busy.lagBytes).toEqual(expect.any(Number));
    expect(busy.appliedSourceTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(busy.reportedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // 2,000 updates plus 2 in about a second or two: a rate of hundreds, at least.
    expect(busy.eventsPerSecond).toBeGreaterThan(50);
    expect(await eventually(async () => (await pipeline.status()).lagSeconds === 0)).toBe(true);

    // The target is blocked: the change waits, and lag seconds grows with its age.
    const blocker = await fixture.client(urls.targetUrl);
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    await source.query(`UPDATE items SET name = 'blocked' WHERE id = 1`);
    const behind = await eventually(async () => {
      const status = await readPipelineStatus(definition, urls);
      return (status.lagSeconds ?? 0) >= 1.5 ? status : undefined;
    }, 10_000);
    if (!behind) throw new Error('unreachable');
    expect(behind.lagBytes).toBeGreaterThan(0);
    const text = await cli(['status', file]);
    expect(text.out).toMatch(/^state +streaming$/m);
    expect(text.out).toMatch(/^lag +\d+ bytes.*, \d+\.\d s$/m);
    expect(text.out).toMatch(/^events\/s +[\d.]+ \(last 10 s\)$/m);
    expect(text.out).toMatch(/^dead letters +1$/m);
    const metrics = await syncMetricsRegistry.metrics();
    expect(metrics).toMatch(/^strangler_sync_lag_seconds\{pipeline="control"\} (\d+\.?\d*)$/m);
    expect(
      Number(/^strangler_sync_lag_seconds\{pipeline="control"\} (\S+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThan(1);
    await blocker.query('COMMIT');
    await eventually(async () => (await readPipelineStatus(definition, urls)).lagSeconds === 0);

    // stop: the running pipeline sees the flag and stops cleanly; the slot stays.
    const json = JSON.parse((await cli(['status', file, '--json'])).out) as Record<string, unknown>;
    expect(json).toMatchObject({ phase: 'streaming', lagSeconds: 0, deadLetters: 1 });
    const stopped = await cli(['stop', file]);
    expect(stopped).toEqual({
      out: 'control: stopped (slot strangler_control kept: start resumes from it)\n',
      exitCode: 0,
    });
    await pipeline.done; // resolved: a clean stop, not a failure
    const after = await readPipelineStatus(definition, urls);
    expect(after).toMatchObject({ phase: 'stopped', eventsPerSecond: null, stopRequested: false });
    expect(after.slot).toMatchObject({ slot: 'strangler_control', active: false });
    expect(await requestStop(definition, urls)).toBe('not-running');

    // A stopped pipeline holds WAL: changes meanwhile show up as lag; start resumes from the slot.
    await source.query(`UPDATE items SET name = 'while stopped' WHERE id <= 50 AND id <> 7`);
    const waiting = await readPipelineStatus(definition, urls);
    expect(waiting.lagBytes).toBeGreaterThan(0);
    expect(waiting.lagSeconds).toEqual(expect.any(Number));
    expect(formatStatus(waiting)).toMatch(/^events\/s +- \(not running\)$/m);
    running.push(await startPipeline(definition, urls));
    await source.query(`INSERT INTO items VALUES (1001, 'marker 2')`);
    await eventually(
      async () =>
        (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM items WHERE id = 1001')).length === 1,
    );
    const report = await verifyPipeline(definition, urls);
    // Only the dead-lettered change differs (qty -1 never reached the target).
    expect(report.tables[0]?.differences.map((d) => d.key)).toEqual([{ id: '7' }]);
    expect(
      await fixture.rows(
        urls.targetUrl,
        `SELECT event->'after'->>'id' AS id FROM _strangler_dead_letters`,
      ),
    ).toEqual([{ id: '7' }]);
  });

  it('exposes lag, throughput, errors and dead letters in the Prometheus text format', async () => {
    const metrics = await syncMetricsRegistry.metrics();
    for (const name of [
      'strangler_sync_lag_bytes',
      'strangler_sync_lag_seconds',
      'strangler_sync_events_total',
      'strangler_sync_events_per_second',
      'strangler_sync_errors_total',
      'strangler_sync_dead_letters_total',
      'strangler_sync_target_reconnects_total',
    ]) {
      expect(metrics).toMatch(new RegExp(`^# HELP ${name} \\S.*$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'));
    }
    expect(metrics).toMatch(
      /^strangler_sync_events_total\{pipeline="control",op="u",outcome="applied"\} \d+$/m,
    );
    expect(metrics).toMatch(/^strangler_sync_dead_letters_total\{pipeline="control"\} 1$/m);
    // Every sample line is `name{labels} value`.
    for (const line of metrics.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[\d.e+-]+$/);
  });
});
