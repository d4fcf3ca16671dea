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
`;
const TARGET = `
  CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text, updated_at timestamptz NOT NULL);
  CREATE TABLE account_tags (account_id int, tag text, since timestamptz NOT NULL, PRIMARY KEY (account_id, tag));
  CREATE TABLE marker (id int PRIMARY KEY);
`;

/** Random source transactions: transfers (2 updates), inserts, deletes, tag churn. */
async function workload(client: pg.Client, running: () => boolean): Promise<number> {
  let changes = 0;
  let nextId = 100_000;
  while (running()) {
    const a = 1 + Math.floor(Math.random() * 3000);
    const b = 1 + Math.floor(Math.random() * 3000);
    await client.query('BEGIN');
    await client.query(
      `UPDATE accounts SET balance = balance - 5, updated_at = clock_timestamp() WHERE id = $1`,
      [a],
    );
    await client.query(
      `UPDATE accounts SET balance = balance + 5, updated_at = clock_timestamp() WHERE id = $1`,
      [b],
    );
    await client.query(`INSERT INTO accounts (id, balance, note) VALUES ($1, 1, 'new')`, [
      nextId++,
    ]);
    await client.query(`DELETE FROM account_tags WHERE account_id = $1`, [a]);
    await client.query(`INSERT INTO account_tags (account_id, tag) VALUES ($1, 'x'), ($1, 'y')`, [
      a,
    ]);
    if (Math.random() < 0.3) await client.query(`DELETE FROM accounts WHERE id = $1`, [nextId - 2]);
    await client.query(Math.random() < 0.05 ? 'ROLLBACK' : 'COMMIT');
    changes += 7;
    // A steady, realistic rate (a few hundred changes a second) keeps the catch-up bounded.
    await new Promise((resolve) => setTimeout(resolve, 4));
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
    for (let kill = 0; kill < 5; kill += 1) {
      const from = output.length;
      const child = startChild(file, output);
      const waitFor = kill === 0 ? /rows \(/ : /"msg":"streaming"/;
      await eventually(async () => output.slice(from).some((line) => waitFor.test(line)), 20_000);
      if (kill > 0) await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 1500));
      await kill_(child);
      phases.push(kill === 0 ? 'initial load' : 'streaming');
      if (process.env.SYNC_DEBUG) console.log(`kill ${kill} at ${Date.now() - started} ms`);
    }
    writing = false;
    const changes = await load;
    expect(changes).toBeGreaterThan(1000);
    expect(phases).toEqual(['initial load', 'streaming', 'streaming', 'streaming', 'streaming']);

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
      30_000,
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
  });
});
