import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadPipelineDefinition } from '../src/pipeline-definition/load-pipeline-definition.js';
import { formatVerifyReport, verifyPipeline } from '../src/verify/verify-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

jest.setTimeout(90_000);

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const register = path.join(here, 'support', 'register-typescript.js');
const cli = path.resolve(here, '../src/cli.ts');

const SOURCE = `
  CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text,
                         updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE TABLE account_tags (account_id int, tag text, since timestamptz NOT NULL DEFAULT clock_timestamp(),
                             PRIMARY KEY (account_id, tag));
  CREATE TABLE marker (id int PRIMARY KEY);
  INSERT INTO accounts (id, balance, note) SELECT g, 1000, repeat('n', g % 50) FROM generate_series(1, 3000) g;
  INSERT INTO account_tags (account_id, tag) SELECT g, 't' || (g % 7) FROM generate_series(1, 3000) g;

  -- One step of the workload, set-based on the server: about 50 row changes (updates of random
  -- accounts, inserts, deletes of rows an earlier step inserted, tag churn). Returns how many
  -- rows it changed.
  CREATE FUNCTION workload_step(step int) RETURNS int LANGUAGE plpgsql AS $$
  DECLARE
    n int;
    total int := 0;
    base int := 100000 + step * 10;
  BEGIN
    UPDATE accounts SET balance = balance - 5, updated_at = clock_timestamp()
     WHERE id IN (SELECT 1 + floor(random() * 3000)::int FROM generate_series(1, 8));
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    UPDATE accounts SET balance = balance + 5, note = 'step ' || step, updated_at = clock_timestamp()
     WHERE id IN (SELECT 1 + floor(random() * 3000)::int FROM generate_series(1, 8));
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    INSERT INTO accounts (id, balance, note) SELECT base + g, step, 'new' FROM generate_series(0, 9) g;
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    DELETE FROM accounts WHERE id BETWEEN base - 30 AND base - 26;
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    UPDATE accounts SET balance = balance * 2 WHERE id BETWEEN base - 10 AND base - 8;
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    DELETE FROM account_tags
     WHERE account_id IN (SELECT 1 + floor(random() * 3000)::int FROM generate_series(1, 4));
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    INSERT INTO account_tags (account_id, tag)
    SELECT a, t FROM (SELECT 1 + floor(random() * 3000)::int AS a FROM generate_series(1, 4)) ids,
                     (VALUES ('x'), ('y')) tags(t)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT; total := total + n;
    RETURN total;
  END $$;
`;
const TARGET = `
  CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text, updated_at timestamptz NOT NULL);
  CREATE TABLE account_tags (account_id int, tag text, since timestamptz NOT NULL, PRIMARY KEY (account_id, tag));
  CREATE TABLE marker (id int PRIMARY KEY);
`;

/** SIGKILLs: the first mid-copy, the others at a random moment of streaming. */
const KILLS = 5;
/** Source changes the workload must have committed before it may end. */
const MIN_CHANGES = 20_000;

/**
 * Source transactions until `running()` turns false AND at least MIN_CHANGES row changes are
 * committed: mostly one workload step (about 50 changes), some two steps, some a single-row
 * update; 5% roll back (those do not count). Returns the changes committed.
 */
async function workload(client: pg.Client, running: () => boolean): Promise<number> {
  let changes = 0;
  let step = 0;
  while (running() || changes < MIN_CHANGES) {
    const kind = Math.random();
    await client.query('BEGIN');
    let written = 0;
    if (kind < 0.1) {
      const result = await client.query(`UPDATE accounts SET balance = balance + 1 WHERE id = $1`, [
        1 + Math.floor(Math.random() * 3000),
      ]);
      written = result.rowCount ?? 0;
    } else {
      const steps = kind < 0.3 ? 2 : 1;
      for (let i = 0; i < steps; i += 1) {
        step += 1;
        const result = await client.query<{ n: number }>('SELECT workload_step($1) AS n', [step]);
        written += result.rows[0]?.n ?? 0;
      }
    }
    if (Math.random() < 0.05) {
      await client.query('ROLLBACK');
    } else {
      await client.query('COMMIT');
      changes += written;
    }
    // About 1000 changes a second: fast, yet the catch-up after the last kill stays bounded.
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return changes;
}

describe('sync pipeline: crash safety (real PostgreSQL, SIGKILLed child process)', () => {
  let fixture: SyncFixture;
  let dir: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-crash');
    dir = await mkdtemp(path.join(os.tmpdir(), 'strangler-sync-crash-'));
  }, 60_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await fixture?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  function startChild(file: string, output: string[]): ChildProcess {
    const child = spawn(
      process.execPath,
      ['--import', register, cli, '--log-level', 'info', 'start', file],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.add(child);
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('exit', () => children.delete(child));
    return child;
  }

  async function kill_(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  it('loses and duplicates nothing across SIGKILLs during the initial load and streaming', async () => {
    const urls = await fixture.databases(SOURCE, TARGET);
    const file = path.join(dir, 'crash.pipeline.yaml');
    await writeFile(
      file,
      [
        'source:',
        `  url: ${urls.sourceUrl}`,
        'target:',
        `  url: ${urls.targetUrl}`,
        'deadLetters: stop',
        'snapshot:',
        '  chunkSize: 100',
        'tables:',
        '  accounts:',
        '  account_tags:',
        '  marker:',
        '',
      ].join('\n'),
    );
    const definition = await loadPipelineDefinition(file);
    fixture.definition('crash', urls, { tables: { accounts: null } }); // registers the slot for cleanup

    const writer = await fixture.client(urls.sourceUrl);
    let writing = true;
    const load = workload(writer, () => writing);
    const output: string[] = [];

    // Kill #1 as soon as the initial load reports progress (mid-copy); the others at a random
    // moment after streaming has started, while the workload keeps writing.
    const phases: string[] = [];
    const started = Date.now();
    for (let kill = 0; kill < KILLS; kill += 1) {
      const from = output.length;
      const child = startChild(file, output);
      const waitFor = kill === 0 ? /rows \(/ : /"msg":"streaming"/;
      await eventually(async () => output.slice(from).some((line) => waitFor.test(line)), 60_000);
      if (kill > 0) await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 2000));
      await kill_(child);
      phases.push(kill === 0 ? 'initial load' : 'streaming');
      if (process.env.SYNC_DEBUG) console.log(`kill ${kill} at ${Date.now() - started} ms`);
    }
    writing = false;
    const changes = await load;
    if (process.env.SYNC_DEBUG)
      console.log(`${changes} changes written by ${Date.now() - started} ms`);
    expect(changes).toBeGreaterThanOrEqual(MIN_CHANGES);
    expect(phases).toEqual(['initial load', ...Array<string>(KILLS - 1).fill('streaming')]);

    // The marker transaction is the source's last; `before` is a position inside it, so once the
    // target's applied position (a commit END) passes it, the stream has applied everything.
    await writer.query('BEGIN');
    await writer.query('INSERT INTO marker VALUES (1)');
    const [{ before }] = (
      await writer.query<{ before: string }>('SELECT pg_current_wal_insert_lsn()::text AS before')
    ).rows as [{ before: string }];
    await writer.query('COMMIT');
    const last = startChild(file, output);
    await eventually(
      async () =>
        (
          await fixture.rows(
            urls.targetUrl,
            `SELECT 1 FROM _strangler_sync_state
              WHERE pipeline = 'crash' AND phase = 'streaming' AND applied_lsn > $1::pg_lsn`,
            [before],
          )
        ).length === 1,
      // A bound, not a speed check: on a loaded 2-core machine the last restart's catch-up on
      // the remaining backlog has taken over 30 s.
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nchild output:\n${output.join('')}`);
    });
    if (process.env.SYNC_DEBUG) console.log(`caught up at ${Date.now() - started} ms`);
    const exited = new Promise((resolve) => last.once('exit', resolve));
    last.kill('SIGTERM');
    await exited;

    const report = await verifyPipeline(definition, { chunkSize: 500 });
    expect(formatVerifyReport(report)).toMatch(/^pipeline crash: IDENTICAL/);
    expect(await fixture.rows(urls.targetUrl, 'SELECT * FROM _strangler_dead_letters')).toEqual([]);
    const [state] = await fixture.rows(
      urls.targetUrl,
      `SELECT phase FROM _strangler_sync_state WHERE pipeline = 'crash'`,
    );
    expect(state).toEqual({ phase: 'streaming' });
  }, 300_000);
});
