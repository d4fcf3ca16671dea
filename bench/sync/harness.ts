/**
 * The sync benchmark's plumbing, shared by the in-process runs (run.ts) and the Kafka side by
 * side (kafka-variant.ts): database clients, `strangler-sync start` as a child process, pipeline
 * files, and the source/target databases of one row shape with the workload on top.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { EmbeddedPostgresCluster } from '../../stack/postgres-cluster.js';
import { sleep } from '../common/environment.js';
import {
  LiveIds,
  MARKER_SOURCE_SQL,
  MARKER_TARGET_SQL,
  Mix,
  Shape,
  Workload,
  populate,
  sourceSchemaSql,
} from './workload.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLI = join(here, '../../strangler-sync/src/cli.js');

export function log(line: string): void {
  process.stderr.write(`[bench:sync] ${line}\n`);
}

export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  // A server shutdown (57P01) must not crash the run with an unhandled 'error' event.
  c.on('error', (err) => log(`client: ${err.message}`));
  await c.connect();
  return c;
}

export async function exec(url: string, sql: string): Promise<void> {
  const c = await connect(url);
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * `strangler-sync start` as a child process; stop() sends SIGTERM (a clean stop). `cli` is the
 * CLI script to run: this build's by default, another build's for `--baseline`.
 */
export class PipelineProcess {
  private proc: ChildProcess | null = null;
  private exited = true;
  private stderr = '';
  constructor(
    private readonly file: string,
    private readonly sourceUrl: string,
    private readonly targetUrl: string,
    private readonly cli: string = CLI,
  ) {}

  start(): void {
    const proc = spawn(
      process.execPath,
      [
        this.cli,
        '--source-url',
        this.sourceUrl,
        '--target-url',
        this.targetUrl,
        '--log-level',
        'warn',
        'start',
        this.file,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.exited = false;
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    proc.once('exit', () => (this.exited = true));
    this.proc = proc;
  }

  get failed(): string | null {
    return this.exited ? `pipeline exited: ${this.stderr.trim().slice(-800)}` : null;
  }

  async stop(): Promise<void> {
    if (this.proc === null || this.exited) return;
    this.proc.kill('SIGTERM');
    for (let i = 0; i < 300 && !this.exited; i++) await sleep(100);
    if (!this.exited) this.proc.kill('SIGKILL');
    for (let i = 0; i < 50 && !this.exited; i++) await sleep(100);
  }
}

/**
 * A pipeline definition file; `transport` (e.g. `{ kind: 'kafka', ... }`) is written as a YAML
 * flow mapping (JSON is YAML), absent = in-process.
 */
export function pipelineYaml(
  name: string,
  tables: string[],
  transport?: Record<string, unknown>,
): string {
  return [
    `name: ${name}`,
    'source: { urlEnv: BENCH_SYNC_SOURCE_URL }',
    'target: { urlEnv: BENCH_SYNC_TARGET_URL }',
    'tables:',
    ...tables.map((t) => `  ${t}:`),
    ...(transport === undefined ? [] : [`transport: ${JSON.stringify(transport)}`]),
    '',
  ].join('\n');
}

/**
 * strangler-sync tags the transactions its apply side commits with replication origins named
 * after the pipeline (`strangler_<name>`, and `strangler_<name>:<suffix>` for the Kafka apply's
 * parallel sessions). Origins belong to the whole server and each one that has applied holds one
 * of its `max_active_replication_origins` slots (10 by default) until dropped, also when the
 * target database is dropped: drop a stopped pipeline's origins so the next pipelines find slots.
 */
export async function dropOrigins(url: string, pipeline: string): Promise<void> {
  const origin = `strangler_${pipeline.replace(/[^a-z0-9_]/g, '_')}`;
  const c = await connect(url);
  try {
    // A stopped pipeline's backend can hold its origin a moment longer (55006, object in use).
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(
          `SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin
            WHERE roname = $1 OR starts_with(roname, $1 || ':')`,
          [origin],
        );
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await sleep(500);
      }
    }
  } catch (err) {
    log(`dropping the replication origins of ${pipeline}: ${(err as Error).message}`);
  } finally {
    await c.end();
  }
}

/** The table the workload writes; the marker table is `bench_marker`. */
export const TABLE = 'items';

/** Fresh source and target databases `<prefix>_src` / `<prefix>_tgt`, populated with `rows` rows. */
export async function prepareDatabases(
  cluster: EmbeddedPostgresCluster,
  prefix: string,
  shape: Shape,
  rows: number,
): Promise<{ sourceUrl: string; targetUrl: string; drop: () => Promise<void> }> {
  const src = `${prefix}_src`;
  const tgt = `${prefix}_tgt`;
  for (const db of [src, tgt]) {
    await cluster.dropDatabase(db);
    await cluster.ensureDatabase(db);
  }
  const sourceUrl = cluster.databaseUrl(src);
  const targetUrl = cluster.databaseUrl(tgt);
  await exec(sourceUrl, `${sourceSchemaSql(shape, TABLE)}\n${MARKER_SOURCE_SQL}`);
  await exec(targetUrl, `${sourceSchemaSql(shape, TABLE)}\n${MARKER_TARGET_SQL}`);
  const seed = await connect(sourceUrl);
  try {
    await populate(seed, shape, TABLE, rows);
  } finally {
    await seed.end();
  }
  return {
    sourceUrl,
    targetUrl,
    drop: async () => {
      await cluster.dropDatabase(src);
      await cluster.dropDatabase(tgt);
    },
  };
}

export interface WorkloadSettings {
  rows: number;
  mix: Mix;
  txSize: number;
  connections: number;
}

/** The workload on the source, and a client on the target to read the markers back. */
export async function openWorkload(
  sourceUrl: string,
  targetUrl: string,
  shape: Shape,
  s: WorkloadSettings,
): Promise<{ workload: Workload; target: pg.Client; close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: sourceUrl, max: s.connections });
  pool.on('error', (err) => log(`pool: ${err.message}`));
  const markers = await connect(sourceUrl);
  const target = await connect(targetUrl);
  const workload = new Workload(
    pool,
    markers,
    shape,
    TABLE,
    new LiveIds(s.rows),
    s.mix,
    s.txSize,
    s.connections,
  );
  return {
    workload,
    target,
    close: async () => {
      await pool.end();
      await markers.end();
      await target.end();
    },
  };
}
