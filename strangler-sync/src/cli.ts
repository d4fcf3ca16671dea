import { Command, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { syncMetricsRegistry } from './metrics.js';
import { loadPipelineDefinition } from './pipeline-definition/load-pipeline-definition.js';
import type { PipelineDefinition } from './pipeline-definition/pipeline-definition.schema.js';
import { backfillTable } from './pipeline/backfill-table.js';
import { pruneTombstones } from './pipeline/prune-tombstones.js';
import {
  readPipelineStatus,
  requestStop,
  type PipelineStatus,
} from './pipeline/pipeline-control.js';
import {
  dropPipelineSource,
  startPipeline,
  type PipelineProgress,
} from './pipeline/start-pipeline.js';
import { formatVerifyReport, verifyPipeline } from './verify/verify-pipeline.js';

/**
 * `strangler-sync`: run and inspect change data capture pipelines.
 *
 *   strangler-sync start <pipeline>             initial load if needed, then stream (Ctrl-C stops)
 *   strangler-sync status <pipeline>            state, lag (bytes and seconds), events/s, dead letters
 *   strangler-sync stop <pipeline>              stop the running pipeline cleanly (the slot stays)
 *   strangler-sync verify <pipeline>            compare source and target under the mapping
 *   strangler-sync backfill <pipeline> <table>  copy one table again (safe while streaming)
 *   strangler-sync prune <pipeline>             delete tombstones nothing can need any more
 *   strangler-sync drop <pipeline>              drop the slot, publication and replication origin(s)
 *
 * <pipeline> is a file, or a name in migrations/pipelines/<name>.pipeline.yaml. Database URLs
 * come from the definition (url / urlEnv) unless --source-url / --target-url are given.
 */

interface UrlOptions {
  sourceUrl?: string;
  targetUrl?: string;
}

function resolvePipelineFile(pipeline: string): string {
  if (existsSync(pipeline)) return pipeline;
  const named = path.join('migrations', 'pipelines', `${pipeline}.pipeline.yaml`);
  if (existsSync(named)) return named;
  throw new Error(`no pipeline file ${pipeline} (nor ${named})`);
}

async function load(pipeline: string): Promise<PipelineDefinition> {
  return loadPipelineDefinition(resolvePipelineFile(pipeline));
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('a positive integer');
  return parsed;
}

function formatDuration(seconds: number | null): string {
  if (seconds === null) return '?';
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${bytes} bytes (${value.toFixed(1)} ${units[unit]})`;
}

/** `status` as text: one `name value` line per field. */
export function formatStatus(status: PipelineStatus): string {
  const slot = status.slot;
  const lagSeconds =
    status.lagSeconds === null || status.lagSeconds === undefined
      ? '-'
      : `${status.lagSeconds.toFixed(1)} s`;
  const applied = status.appliedLsn
    ? `${status.appliedLsn}${status.appliedSourceTime ? ` (source commit ${status.appliedSourceTime})` : ''}`
    : '-';
  return [
    `pipeline      ${status.pipeline}`,
    `state         ${status.phase}${status.stopRequested ? ' (stop requested)' : ''}`,
    `slot          ${slot ? `${slot.slot} ${slot.active ? `active (server pid ${slot.activePid ?? '?'})` : 'inactive'}` : 'missing'}`,
    `confirmed     ${slot?.confirmedFlushLsn ?? '-'}`,
    `applied       ${applied}`,
    `lag           ${formatBytes(status.lagBytes ?? slot?.lagBytes)}, ${lagSeconds}`,
    `events/s      ${status.eventsPerSecond === null || status.eventsPerSecond === undefined ? '- (not running)' : `${status.eventsPerSecond} (last 10 s)`}`,
    `dead letters  ${status.deadLetters}`,
    ...(status.origin ? [`origin        ${status.origin}`] : []),
    ...(status.skipAppliedBy && status.skipAppliedBy.length > 0
      ? [
          `skips echoes  applied by ${status.skipAppliedBy.join(', ')}: ` +
            (status.echoTransactionsSkipped === null || status.echoTransactionsSkipped === undefined
              ? '- (not running)'
              : `${status.echoTransactionsSkipped} transactions skipped since start`),
        ]
      : []),
  ].join('\n');
}

/** Snapshot progress on stderr, at most once a second per table (and when a table is done). */
function progressPrinter(): (progress: PipelineProgress) => void {
  let last = 0;
  return (progress) => {
    if (progress.phase !== 'snapshot') return;
    const now = Date.now();
    if (!progress.done && now - last < 1000) return;
    last = now;
    const percent =
      progress.rowsTotal > 0
        ? Math.min(100, Math.round((100 * progress.rowsCopied) / progress.rowsTotal))
        : 100;
    process.stderr.write(
      progress.done
        ? `${progress.table}: ${progress.rowsCopied} rows copied\n`
        : `${progress.table}: ${progress.rowsCopied}/${progress.rowsTotal} rows (${percent}%), ` +
            `${progress.rowsPerSecond} rows/s, ETA ${formatDuration(progress.etaSeconds)}\n`,
    );
  };
}

function serveMetrics(port: number, logger: Logger): http.Server {
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    syncMetricsRegistry.metrics().then(
      (body) =>
        response.writeHead(200, { 'content-type': syncMetricsRegistry.contentType }).end(body),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  server.listen(port, () => logger.info({ port }, 'metrics on /metrics'));
  return server;
}

export function buildCli(): Command {
  const program = new Command('strangler-sync')
    .description('Change data capture pipelines: monolith database -> extracted service database')
    .option('--source-url <url>', 'source database URL (overrides the definition)')
    .option('--target-url <url>', 'target database URL (overrides the definition)')
    .option('--log-level <level>', 'pino log level', 'info');
  const urls = (): UrlOptions => program.opts<UrlOptions>();
  const logger = () =>
    pino({ level: program.opts<{ logLevel: string }>().logLevel }, pino.destination(2));

  program
    .command('start <pipeline>')
    .description('initial load when needed, then stream changes until SIGINT/SIGTERM')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port', positiveInt)
    .action(async (pipeline: string, options: { metricsPort?: number }) => {
      const log = logger();
      const definition = await load(pipeline);
      const metrics = options.metricsPort ? serveMetrics(options.metricsPort, log) : null;
      const running = await startPipeline(definition, {
        ...urls(),
        logger: log,
        onProgress: progressPrinter(),
      });
      log.info({ pipeline: definition.name }, 'streaming; SIGINT or SIGTERM stops');
      const stop = () => void running.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await running.done;
      } finally {
        metrics?.close();
      }
    });

  program
    .command('status <pipeline>')
    .description('state, slot, applied position, lag in bytes and seconds, events/s, dead letters')
    .option('--json', 'print JSON')
    .action(async (pipeline: string, options: { json?: boolean }) => {
      const status = await readPipelineStatus(await load(pipeline), urls());
      process.stdout.write(
        options.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`,
      );
    });

  program
    .command('stop <pipeline>')
    .description(
      'stop the running pipeline at a transaction boundary (it checks a stop flag every second); ' +
        'the slot stays, so start resumes',
    )
    .option('--timeout <seconds>', 'how long to wait for it to stop', positiveInt, 30)
    .option('--no-terminate', 'after the timeout, do not terminate its replication connection')
    .action(async (pipeline: string, options: { timeout: number; terminate: boolean }) => {
      const definition = await load(pipeline);
      const outcome = await requestStop(definition, urls(), {
        timeoutMs: options.timeout * 1000,
        terminate: options.terminate,
      });
      const messages: Record<typeof outcome, string> = {
        stopped: `${definition.name}: stopped (slot ${definition.slot} kept: start resumes from it)`,
        'not-running': `${definition.name}: not running (slot ${definition.slot} is not in use)`,
        terminated:
          `${definition.name}: did not stop within ${options.timeout} s; its replication ` +
          'connection was terminated (what it had not committed is replayed on the next start)',
        timeout: `${definition.name}: still running after ${options.timeout} s (stop flag left set)`,
      };
      process.stdout.write(`${messages[outcome]}\n`);
      if (outcome === 'timeout') process.exitCode = 1;
    });

  program
    .command('verify <pipeline>')
    .description('compare source and target under the mapping (exit code 1 when they differ)')
    .option('--chunk-size <rows>', 'rows per checksum chunk', positiveInt, 1000)
    .option('--table <table...>', 'only these source tables')
    .option('--json', 'print JSON')
    .action(
      async (
        pipeline: string,
        options: { chunkSize: number; table?: string[]; json?: boolean },
      ) => {
        const report = await verifyPipeline(await load(pipeline), {
          ...urls(),
          chunkSize: options.chunkSize,
          tables: options.table,
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerifyReport(report)}\n`,
        );
        if (!report.identical) process.exitCode = 1;
      },
    );

  program
    .command('backfill <pipeline> <table>')
    .description('copy one table again from a fresh snapshot (safe while the pipeline streams)')
    .action(async (pipeline: string, table: string) => {
      const result = await backfillTable(await load(pipeline), table, {
        ...urls(),
        logger: logger(),
        onProgress: progressPrinter(),
      });
      process.stdout.write(`${table}: ${result.rowsCopied} rows backfilled\n`);
    });

  program
    .command('prune <pipeline>')
    .description('delete tombstones no replay or running backfill can need any more')
    .action(async (pipeline: string) => {
      const result = await pruneTombstones(await load(pipeline), urls());
      process.stdout.write(
        result.below
          ? `${result.pruned} tombstones before ${result.below} deleted\n`
          : 'nothing pruned: the pipeline is not streaming yet or a snapshot is being set up\n',
      );
    });

  program
    .command('drop <pipeline>')
    .description(
      'drop the replication slot and publication, and the replication origin(s) on the target ' +
        '(the target keeps its rows)',
    )
    .action(async (pipeline: string) => {
      const { origins } = await dropPipelineSource(await load(pipeline), urls());
      if (origins.length > 0) process.stdout.write(`dropped origin(s) ${origins.join(', ')}\n`);
    });

  return program;
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  /[/\\]strangler-sync[/\\]src[/\\]cli\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) {
  buildCli()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(
        `strangler-sync: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
