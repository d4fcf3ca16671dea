/**
 * `--with-kafka`: the lag-at-fixed-rate workload through three paths in one run, one after the
 * other, each on fresh databases of the same embedded PostgreSQL:
 *   in-process      `strangler-sync start` with the default transport;
 *   kafka-builtin   our capture → Kafka → our apply (`transport: kafka, capture: builtin`);
 *   kafka-debezium  a real Debezium PostgreSQL connector (Kafka Connect standalone) → Kafka →
 *                   our apply (`capture: external`).
 * Kafka and Debezium come from test-support/kafka-tier (the jars fetch-artifacts.sh resolves from
 * Maven Central into ~/.cache/strangler). When the tier cannot be prepared or started the
 * comparison is skipped with the reason. Every wait is bounded; the JVMs are stopped and their
 * work dir removed at the end (and killed by the tier's watchdog if this process dies).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, Kafka, logLevel } from 'kafkajs';
import type { EmbeddedPostgresCluster } from '../../stack/postgres-cluster.js';
import { startKafkaTier, type KafkaTier } from '../../test-support/kafka-tier/kafka-tier.js';
import { anyOutput, packageVersion, waitFor } from '../common/environment.js';
import {
  PipelineProcess,
  TABLE,
  WorkloadSettings,
  dropOrigins,
  log,
  openWorkload,
  pipelineYaml,
  prepareDatabases,
} from './harness.js';
import { KafkaComparison, PathLagStep, SYNC_PATHS, SyncPath } from './kafka-report.js';
import { LagSettings, LagTarget, runLagSteps, waitCaughtUp } from './lag.js';
import type { Shape } from './workload.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The tier's scripts and versions.env in the source tree (dist/bench/sync → the repo root). */
const TIER_SOURCE = join(here, '../../../test-support/kafka-tier');

const SHORT: Record<SyncPath, string> = {
  'in-process': 'ip',
  'kafka-builtin': 'kb',
  'kafka-debezium': 'kd',
};

export type KafkaSettings = LagSettings & WorkloadSettings & { shapes: Shape[] };

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 300);
}

/** The line of a failed pipeline's stderr that names the error (else its first line). */
function pipelineError(failed: string | null): string | null {
  if (failed === null) return null;
  const lines = failed.split('\n').map((l) => l.trim());
  const named = lines.find((l) => /\w*Error\b|error:/i.test(l) && !l.startsWith('at '));
  return (named ?? lines[0]).slice(0, 300);
}

/**
 * Runs fetch-artifacts.sh (a no-op when the cache is complete; needs java and mvn, and Maven
 * Central the first time) and returns the artifacts directory.
 */
function fetchArtifacts(): string {
  const script = join(TIER_SOURCE, 'fetch-artifacts.sh');
  if (!existsSync(script)) throw new Error(`${script} not found`);
  const r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 600_000 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-3).join(' / ');
    throw new Error(`fetch-artifacts.sh exited with ${String(r.status)}: ${tail}`);
  }
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1];
}

/**
 * True when the consumer group has committed every partition of `topics` up to its end (an
 * empty partition counts as done). Any error (a topic not created yet, say) is "not yet".
 */
async function groupCaughtUp(admin: Admin, groupId: string, topics: string[]): Promise<boolean> {
  try {
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(end.high) === BigInt(end.low)) continue;
        const at = mine.find((p) => p.partition === end.partition)?.offset ?? '-1';
        if (at === '-1' || BigInt(at) < BigInt(end.high)) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * A fresh broker creates and loads __consumer_offsets on the first group request, and until then
 * answers GROUP_LOAD_IN_PROGRESS, which strangler-sync's apply consumer does not retry for long
 * (the pipeline exits). A throwaway consumer joins a group first, with kafkajs' default retries.
 */
async function warmGroupCoordinator(kafka: Kafka, admin: Admin): Promise<void> {
  const topic = 'bench-warm-up';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const consumer = kafka.consumer({ groupId: topic });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({ eachMessage: async () => undefined });
    await waitFor('a consumer group join on the fresh broker', () => joined, 60_000, 100);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** The broker, an admin client on it, and a warmed-up group coordinator; stopped on failure. */
async function startTier(artifactsDir: string): Promise<{ tier: KafkaTier; admin: Admin }> {
  const tier = await startKafkaTier({
    artifactsDir,
    startupTimeoutMs: 120_000,
    log: (m) => log(`kafka-tier: ${m}`),
  });
  const kafka = new Kafka({
    clientId: 'bench-sync',
    brokers: tier.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await warmGroupCoordinator(kafka, admin);
    return { tier, admin };
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    await tier.stop();
    throw err;
  }
}

interface PathContext {
  cluster: EmbeddedPostgresCluster;
  dir: string;
  tier: KafkaTier;
  admin: Admin;
  settings: KafkaSettings;
}

async function runPath(
  ctx: PathContext,
  path: SyncPath,
  shape: Shape,
): Promise<{ steps: PathLagStep[]; connector?: Record<string, string>; failure: string | null }> {
  const { cluster, dir, tier, admin, settings: s } = ctx;
  const name = `bench_${SHORT[path]}_${shape}`;
  const label = `${shape} ${path}`;
  const dbs = await prepareDatabases(cluster, name, shape, s.rows);
  const topicPrefix = name;
  const groupId = `${name}-apply`;
  const topics = [TABLE, 'bench_marker'].map((t) => `${topicPrefix}.public.${t}`);
  let connector: Record<string, string> | undefined;
  const pipeline = new PipelineProcess(
    join(dir, `${name}.pipeline.yaml`),
    dbs.sourceUrl,
    dbs.targetUrl,
  );
  let work: Awaited<ReturnType<typeof openWorkload>> | undefined;
  try {
    if (path === 'kafka-debezium') {
      const started = performance.now();
      const handle = await tier.startDebeziumConnector({
        name: `bench-${shape}`,
        databaseUrl: dbs.sourceUrl,
        topicPrefix,
        tables: [`public.${TABLE}`, 'public.bench_marker'],
      });
      connector = handle.connectors[0]?.properties;
      log(`${label}: connector RUNNING after ${Math.round(performance.now() - started)} ms`);
    }
    const transport =
      path === 'in-process'
        ? undefined
        : {
            kind: 'kafka',
            brokers: tier.brokers,
            topicPrefix,
            groupId,
            format: 'json',
            capture: path === 'kafka-debezium' ? 'external' : 'builtin',
          };
    writeFileSync(
      join(dir, `${name}.pipeline.yaml`),
      pipelineYaml(name, [TABLE, 'bench_marker'], transport),
    );
    work = await openWorkload(dbs.sourceUrl, dbs.targetUrl, shape, s);
    const t: LagTarget = {
      shape,
      workload: work.workload,
      target: work.target,
      failed: () => pipeline.failed,
      caughtUp: transport === undefined ? undefined : () => groupCaughtUp(admin, groupId, topics),
    };
    pipeline.start();
    // The initial rows: our copy (in-process, builtin) or Debezium's snapshot reads.
    await waitCaughtUp(t, await work.workload.mark(), 180_000);
    log(`${label}: streaming (initial ${s.rows} rows applied)`);
    const steps = await runLagSteps(t, s, label);
    const failure = pipelineError(pipeline.failed);
    return { steps: steps.map((step) => ({ ...step, path })), connector, failure };
  } finally {
    await pipeline.stop();
    await work?.close();
    await dropOrigins(dbs.targetUrl, name);
    if (path === 'kafka-debezium') await tier.stopConnector();
    await dbs
      .drop()
      .catch((err: unknown) => log(`${label}: dropping the databases: ${firstLine(err)}`));
  }
}

/**
 * The three paths for every shape. `skipped` says why nothing was measured (the tier could not
 * be prepared or started); a path that fails is listed in `failures` and the others go on.
 */
export async function runKafkaComparison(
  cluster: EmbeddedPostgresCluster,
  dir: string,
  settings: KafkaSettings,
): Promise<{ comparison: KafkaComparison | null; skipped: string | null }> {
  let artifactsDir: string;
  try {
    artifactsDir = fetchArtifacts();
  } catch (err) {
    return {
      comparison: null,
      skipped:
        `Kafka side by side: the Kafka tier could not be prepared (${firstLine(err)}); it needs Java 17+, ` +
        'Maven and, once, Maven Central (test-support/kafka-tier/fetch-artifacts.sh); not measured',
    };
  }
  const launched = performance.now();
  let running: Awaited<ReturnType<typeof startTier>>;
  try {
    running = await startTier(artifactsDir);
  } catch (err) {
    log(`kafka tier did not start: ${err instanceof Error ? err.message : String(err)}`);
    return {
      comparison: null,
      skipped: `Kafka side by side: the Kafka tier did not start (${firstLine(err)}); not measured`,
    };
  }
  const { tier, admin } = running;
  const tierStartSec = (performance.now() - launched) / 1000;
  const steps: PathLagStep[] = [];
  const failures: string[] = [];
  let debeziumConnector: Record<string, string> = {};
  try {
    const ctx: PathContext = { cluster, dir, tier, admin, settings };
    // The order is reversed from one shape to the next, so a drift of the machine's load does
    // not always favour the same path.
    for (const [i, shape] of settings.shapes.entries())
      for (const path of i % 2 === 0 ? SYNC_PATHS : [...SYNC_PATHS].reverse()) {
        try {
          const r = await runPath(ctx, path, shape);
          steps.push(...r.steps);
          if (r.connector !== undefined) debeziumConnector = r.connector;
          if (r.failure !== null) failures.push(`${shape}, ${path}: ${r.failure}`);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log(`${shape} ${path} failed: ${message}\n${tier.logTails(20)}`);
          failures.push(`${shape}, ${path}: ${firstLine(err)}`);
        }
      }
  } finally {
    await admin.disconnect().catch(() => undefined);
    await tier.stop();
  }
  const java = anyOutput('java', ['-version']) ?? 'unknown';
  return {
    comparison: {
      rates: settings.rates,
      stepDurationSec: settings.stepDurationSec,
      versions: {
        kafka: tier.versions.kafka,
        debezium: tier.versions.debezium,
        java: java.replace(/^openjdk version "([^"]+)".*/, 'OpenJDK $1'),
        kafkajs: packageVersion('kafkajs'),
      },
      tierStartSec,
      debeziumConnector,
      steps,
      failures,
    },
    skipped: null,
  };
}
