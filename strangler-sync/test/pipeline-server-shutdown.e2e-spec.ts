/**
 * PostgreSQL shutting down under a streaming `strangler-sync start` (a fast shutdown ends every
 * session with 57P01, "terminating connection due to administrator command") is an outage to
 * report, not a crash: the process ends with the reason, and no `Unhandled 'error' event` trace
 * from a connection nobody was listening on.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresCluster,
} from '../../stack/postgres-cluster.js';
import { createTestDatabase } from '../../test-support/database.js';

const cli = path.resolve('dist/strangler-sync/src/cli.js');

describe('strangler-sync start when PostgreSQL shuts down under it', () => {
  let server: EmbeddedPostgresCluster;
  let dir: string;

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ label: 'test-sync-server-shutdown' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'strangler-sync-shutdown-'));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('ends with the reason, without an unhandled error event', async () => {
    const sourceUrl = await createTestDatabase(server, 'src');
    const targetUrl = await createTestDatabase(server, 'tgt');
    for (const url of [sourceUrl, targetUrl]) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
      await client.end();
    }
    const file = path.join(dir, 'shutdown.pipeline.yaml');
    await writeFile(
      file,
      [
        'name: shutdown',
        `source: { url: '${sourceUrl}' }`,
        `target: { url: '${targetUrl}' }`,
        'tables:',
        '  items: null',
        '',
      ].join('\n'),
    );
    const sync = spawn(process.execPath, [cli, 'start', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    sync.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    sync.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      sync.on('exit', (code) => resolve(code)),
    );
    const deadline = Date.now() + 30_000;
    while (!output.includes('streaming; SIGINT or SIGTERM stops')) {
      if (Date.now() > deadline || sync.exitCode !== null)
        throw new Error(`the pipeline did not stream:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    await server.stopServer();
    const code = await exited;
    await server.startServer();

    expect(output).not.toContain("Unhandled 'error' event");
    expect(code).not.toBe(0);
    expect(output).toContain('terminating connection due to administrator command');
  }, 90_000);
});
