import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { findFreePort } from '../../stack/free-port.js';

/**
 * The kafka test tier: a real Apache Kafka broker (KRaft, single node, combined broker+controller)
 * and a real Kafka Connect standalone worker running Debezium's PostgreSQL connector, both started
 * as child JVMs from jars that `fetch-artifacts.sh` resolved from Maven Central. Everything listens
 * on 127.0.0.1 ports picked at start; logs go to files in a temp work dir whose tails are printed
 * when something fails to come up.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FETCH_SCRIPT = path.join(HERE, 'fetch-artifacts.sh');
const FETCH_HINT = 'run test-support/kafka-tier/fetch-artifacts.sh';

export interface KafkaTierVersions {
  kafka: string;
  debezium: string;
  /** What fetch-artifacts.sh writes into <cache>/.complete for the current cache layout. */
  layout: string;
}

/**
 * versions.env beside this module; from a build (dist/test-support/kafka-tier, where tsc copies
 * no .env file), the source tree's, so tests and compiled benchmarks read the same file.
 */
function versionsFile(): string {
  const beside = path.join(HERE, 'versions.env');
  if (fs.existsSync(beside)) return beside;
  const source = path.join(HERE, '../../../test-support/kafka-tier/versions.env');
  if (path.basename(path.resolve(HERE, '../..')) === 'dist' && fs.existsSync(source)) return source;
  throw new Error(`versions.env not found beside ${HERE} (nor in the source tree of a build)`);
}

/** Versions from versions.env, overridden by KAFKA_VERSION / DEBEZIUM_VERSION (as the script). */
export function kafkaTierVersions(): KafkaTierVersions {
  const text = fs.readFileSync(versionsFile(), 'utf8');
  const read = (key: string): string => {
    const fromEnv = process.env[key];
    if (fromEnv) return fromEnv;
    const match = new RegExp(`^${key}=(.+)$`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`versions.env has no ${key}`);
    return match[1].trim();
  };
  return {
    kafka: read('KAFKA_VERSION'),
    debezium: read('DEBEZIUM_VERSION'),
    layout: read('ARTIFACT_LAYOUT'),
  };
}

/** The cache directory fetch-artifacts.sh fills (same rule as the script). */
export function kafkaTierArtifactsDir(versions = kafkaTierVersions()): string {
  if (process.env.STRANGLER_KAFKA_TIER_CACHE) return process.env.STRANGLER_KAFKA_TIER_CACHE;
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(
    cacheHome,
    'strangler',
    'kafka-tier',
    `kafka-${versions.kafka}_debezium-${versions.debezium}`,
  );
}

/** Runs fetch-artifacts.sh (a no-op when the cache is complete) and returns the cache dir. */
export function fetchKafkaTierArtifacts(): string {
  const result = spawnSync('bash', [FETCH_SCRIPT], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(`fetch-artifacts.sh failed with exit code ${String(result.status)}`);
  const lines = result.stdout.trim().split('\n');
  return lines[lines.length - 1];
}

export interface KafkaTierOptions {
  /** Where the jars are; default: the fetch-artifacts.sh cache for versions.env. */
  artifactsDir?: string;
  /** Run fetch-artifacts.sh first when the cache is missing (needs mvn + Maven Central). */
  fetchIfMissing?: boolean;
  /** The java executable; default $JAVA_HOME/bin/java, else `java` on PATH. */
  java?: string;
  /** Max heap of each JVM (-Xmx); default 512m. */
  heap?: string;
  /** Bound on each start-up wait (broker ready, connector RUNNING); default 90 s. */
  startupTimeoutMs?: number;
  /** Default partition count of auto-created topics; default 1. */
  partitions?: number;
  /** Keep the temp work dir (logs, data) after stop(); default false unless KAFKA_TIER_KEEP=1. */
  keepWorkDir?: boolean;
  /** Progress messages; default: none. */
  log?: (message: string) => void;
}

export interface DebeziumConnectorConfig {
  /** Connector name (also the Connect REST path); default `pg-<topicPrefix>`. */
  name?: string;
  /** postgres://user:password@host:port/db of the source database. */
  databaseUrl: string;
  /** topic.prefix: topics are `<prefix>.<schema>.<table>`. */
  topicPrefix: string;
  /** table.include.list, e.g. ['public.cards']. */
  tables: string[];
  /** slot.name; default `dbz_<topicPrefix>`. */
  slotName?: string;
  /** publication.name; default `dbz_<topicPrefix>`. */
  publicationName?: string;
  /** snapshot.mode; default `initial`. */
  snapshotMode?: string;
  /** JSON converter `schemas.enable` for key and value; default false. */
  schemas?: boolean;
  /** Add the io.debezium.transforms.ExtractNewRecordState SMT (flattened rows). */
  unwrap?: boolean | Record<string, string>;
  /** Further connector properties (override the ones above). */
  extra?: Record<string, string>;
}

export interface RunningConnector {
  name: string;
  /** The properties the connector was started with (password masked). */
  properties: Record<string, string>;
}

export interface KafkaConnectHandle {
  /** http://127.0.0.1:<port> of the worker's REST API. */
  restUrl: string;
  connectors: RunningConnector[];
  logFile: string;
}

export interface KafkaTier {
  /** bootstrap servers, e.g. ['127.0.0.1:40123']. */
  brokers: string[];
  workDir: string;
  versions: KafkaTierVersions;
  /** Starts Connect standalone with one Debezium PostgreSQL connector; resolves when RUNNING. */
  startDebeziumConnector(config: DebeziumConnectorConfig): Promise<KafkaConnectHandle>;
  /** The same with several connectors in one worker (each may set its own converters). */
  startDebeziumConnectors(configs: DebeziumConnectorConfig[]): Promise<KafkaConnectHandle>;
  /**
   * Stops the Connect worker. Offsets are flushed and the replication slots stay, so starting
   * the same connectors again resumes streaming where they stopped (no new snapshot).
   */
  stopConnector(): Promise<void>;
  /** Stops Connect and the broker and removes the work dir. */
  stop(): Promise<void>;
  /** The last lines of the broker's and the Connect worker's logs (for failure messages). */
  logTails(lines?: number): string;
}

interface JavaProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  exitCode(): number | null | undefined;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // When a test run ends without calling stop(): never leave JVMs behind.
  process.on('exit', () => {
    for (const child of live) signalGroup(child, 'SIGKILL');
  });
}

/**
 * Each JVM runs under a small bash watchdog, in its own process group: the watchdog forwards
 * SIGTERM/SIGINT to the JVM, returns its exit code, and stops it if the Node process that started
 * it goes away without cleaning up (killed with SIGKILL, say), so no JVM outlives its test run.
 */
const WATCHDOG = `
"$@" &
jvm=$!
trap 'kill -TERM "$jvm" 2>/dev/null' TERM INT
( while kill -0 "$PPID_OF_WATCHDOG" 2>/dev/null; do sleep 1; done
  kill -TERM "$jvm" 2>/dev/null; sleep 10; kill -KILL "$jvm" 2>/dev/null ) &
watcher=$!
wait "$jvm"; rc=$?
while kill -0 "$jvm" 2>/dev/null; do wait "$jvm"; rc=$?; done
kill "$watcher" 2>/dev/null
exit "$rc"
`;

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export async function startKafkaTier(options: KafkaTierOptions = {}): Promise<KafkaTier> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.startupTimeoutMs ?? 90_000;
  const heap = options.heap ?? '512m';
  const versions = kafkaTierVersions();
  const java = checkJava(options.java);

  let artifactsDir = options.artifactsDir ?? kafkaTierArtifactsDir(versions);
  if (!artifactsComplete(artifactsDir, versions)) {
    if (!options.fetchIfMissing)
      throw new Error(`kafka tier artifacts missing or outdated in ${artifactsDir}: ${FETCH_HINT}`);
    log('artifacts missing: running fetch-artifacts.sh (Maven Central)');
    artifactsDir = fetchKafkaTierArtifacts();
  }
  const classpath = path.join(artifactsDir, 'kafka-libs', '*');
  const pluginPath = path.join(artifactsDir, 'plugins');

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-kafka-tier-'));
  const log4jFile = path.join(workDir, 'log4j2.properties');
  fs.writeFileSync(log4jFile, LOG4J2_PROPERTIES);
  const jvm = (name: string, mainClass: string, args: string[]): JavaProcess =>
    startJava(java, name, workDir, [
      `-Xmx${heap}`,
      '-Xms64m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4jFile}`,
      '-cp',
      classpath,
      mainClass,
      ...args,
    ]);

  const brokerPort = await findFreePort();
  const controllerPort = await findFreePort();
  const brokers = [`127.0.0.1:${brokerPort}`];
  const serverProperties = path.join(workDir, 'server.properties');
  writeProperties(serverProperties, {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(workDir, 'kafka-data'),
    'num.partitions': String(options.partitions ?? 1),
    'auto.create.topics.enable': 'true',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
  });

  let broker: JavaProcess | undefined;
  let connect: JavaProcess | undefined;

  const stopConnector = async (): Promise<void> => {
    if (connect) await stopJava(connect);
    connect = undefined;
  };
  const stop = async (): Promise<void> => {
    await stopConnector();
    if (broker) await stopJava(broker);
    broker = undefined;
    if (!(options.keepWorkDir ?? process.env.KAFKA_TIER_KEEP === '1'))
      fs.rmSync(workDir, { recursive: true, force: true });
    else log(`work dir kept: ${workDir}`);
  };

  try {
    const clusterId = randomBytes(16).toString('base64url');
    log(`formatting KRaft storage (cluster id ${clusterId}) in ${workDir}`);
    const format = jvm('kafka-storage-format', 'kafka.tools.StorageTool', [
      'format',
      '-t',
      clusterId,
      '-c',
      serverProperties,
    ]);
    const code = await withTimeout(format.exited, timeoutMs, 'kafka storage format');
    if (code !== 0) throw new Error(`kafka storage format exited with ${String(code)}`);

    const started = Date.now();
    broker = jvm('kafka-broker', 'kafka.Kafka', [serverProperties]);
    await waitFor('kafka broker', timeoutMs, broker, async () => {
      const admin = new Kafka({
        clientId: 'kafka-tier-probe',
        brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 1000,
      }).admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return true;
      } finally {
        await admin.disconnect();
      }
    });
    log(`kafka ${versions.kafka} broker ready on ${brokers[0]} in ${Date.now() - started} ms`);
  } catch (error) {
    const tail = broker ? `\n--- ${broker.logFile} (tail) ---\n${tailOf(broker.logFile)}` : '';
    await stop().catch(() => undefined);
    throw withDetail(error, tail);
  }

  const startDebeziumConnectors = async (
    configs: DebeziumConnectorConfig[],
  ): Promise<KafkaConnectHandle> => {
    if (connect) throw new Error('a Connect worker is already running: stopConnector() first');
    if (configs.length === 0) throw new Error('no connector configs given');
    const restPort = await findFreePort();
    const restUrl = `http://127.0.0.1:${restPort}`;
    const instance = randomBytes(3).toString('hex');
    const workerProperties = path.join(workDir, `connect-worker-${instance}.properties`);
    writeProperties(workerProperties, {
      'bootstrap.servers': brokers.join(','),
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter.schemas.enable': 'false',
      // one offsets file per tier: a restarted worker resumes where the last one stopped
      'offset.storage.file.filename': path.join(workDir, 'connect.offsets'),
      'offset.flush.interval.ms': '1000',
      'plugin.path': pluginPath,
      'plugin.discovery': 'service_load',
      listeners: restUrl,
      'rest.advertised.host.name': '127.0.0.1',
      'rest.advertised.port': String(restPort),
    });
    const connectors = configs.map((config) => connectorProperties(config));
    const connectorFiles = connectors.map((properties) => {
      const file = path.join(workDir, `connector-${properties.name}.properties`);
      writeProperties(file, properties);
      return file;
    });

    const started = Date.now();
    connect = jvm('kafka-connect', 'org.apache.kafka.connect.cli.ConnectStandalone', [
      workerProperties,
      ...connectorFiles,
    ]);
    const process_ = connect;
    try {
      for (const properties of connectors) {
        const name = properties.name;
        await waitFor(`connector ${name} RUNNING`, timeoutMs, process_, async () => {
          const response = await fetch(`${restUrl}/connectors/${encodeURIComponent(name)}/status`);
          if (!response.ok) return false;
          const status = (await response.json()) as ConnectorStatus;
          const failed = [status.connector, ...(status.tasks ?? [])].find(
            (s) => s?.state === 'FAILED',
          );
          if (failed)
            throw new FatalError(
              `connector ${name} FAILED: ${failed.trace?.split('\n').slice(0, 8).join('\n') ?? ''}`,
            );
          return (
            status.connector?.state === 'RUNNING' &&
            (status.tasks?.length ?? 0) > 0 &&
            status.tasks!.every((t) => t.state === 'RUNNING')
          );
        });
      }
    } catch (error) {
      const tail = `\n--- ${process_.logFile} (tail) ---\n${tailOf(process_.logFile)}`;
      await stopConnector().catch(() => undefined);
      throw withDetail(error, tail);
    }
    log(
      `kafka connect on ${restUrl}: ${connectors.map((c) => c.name).join(', ')} RUNNING in ${Date.now() - started} ms`,
    );
    return {
      restUrl,
      logFile: process_.logFile,
      connectors: connectors.map((properties) => ({
        name: properties.name,
        properties: { ...properties, 'database.password': '********' },
      })),
    };
  };

  return {
    brokers,
    workDir,
    versions,
    startDebeziumConnector: (config) => startDebeziumConnectors([config]),
    startDebeziumConnectors,
    stopConnector,
    stop,
    logTails: (lines = 40) =>
      [broker, connect]
        .filter((p): p is JavaProcess => p !== undefined)
        .map((p) => `--- ${p.logFile} (tail) ---\n${tailOf(p.logFile, lines)}`)
        .join('\n'),
  };
}

function artifactsComplete(dir: string, versions: KafkaTierVersions): boolean {
  try {
    return (
      fs.readFileSync(path.join(dir, '.complete'), 'utf8').trim() === `layout=${versions.layout}`
    );
  } catch {
    return false;
  }
}

/** The Connect properties of one Debezium PostgreSQL connector. */
export function connectorProperties(config: DebeziumConnectorConfig): Record<string, string> {
  const url = new URL(config.databaseUrl);
  const schemas = String(config.schemas ?? false);
  const properties: Record<string, string> = {
    name: config.name ?? `pg-${config.topicPrefix}`,
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': url.hostname,
    'database.port': url.port || '5432',
    'database.user': decodeURIComponent(url.username),
    'database.password': decodeURIComponent(url.password),
    'database.dbname': decodeURIComponent(url.pathname.replace(/^\//, '')),
    'plugin.name': 'pgoutput',
    'topic.prefix': config.topicPrefix,
    'table.include.list': config.tables.join(','),
    'slot.name': config.slotName ?? `dbz_${config.topicPrefix}`.replace(/[^a-z0-9_]/gi, '_'),
    'publication.name':
      config.publicationName ?? `dbz_${config.topicPrefix}`.replace(/[^a-z0-9_]/gi, '_'),
    'publication.autocreate.mode': 'filtered',
    'snapshot.mode': config.snapshotMode ?? 'initial',
    'tombstones.on.delete': 'true',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': schemas,
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': schemas,
  };
  if (config.unwrap) {
    const unwrapOptions = typeof config.unwrap === 'object' ? config.unwrap : {};
    properties.transforms = 'unwrap';
    properties['transforms.unwrap.type'] = 'io.debezium.transforms.ExtractNewRecordState';
    for (const [key, value] of Object.entries(unwrapOptions))
      properties[`transforms.unwrap.${key}`] = value;
  }
  return { ...properties, ...config.extra };
}

interface ConnectorState {
  state: string;
  trace?: string;
}
interface ConnectorStatus {
  connector?: ConnectorState;
  tasks?: ConnectorState[];
}

class FatalError extends Error {}

function checkJava(explicit?: string): string {
  const java =
    explicit ?? (process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error)
    throw new Error(
      `java not found (${java}: ${probe.error.message}); the kafka tier needs Java 17+ on PATH or JAVA_HOME`,
    );
  const match = /version "(\d+)/.exec(probe.stderr);
  const major = match ? Number(match[1]) : 0;
  if (major < 17)
    throw new Error(`java ${match?.[1] ?? '?'} found at ${java}; the kafka tier needs Java 17+`);
  return java;
}

function startJava(java: string, name: string, workDir: string, args: string[]): JavaProcess {
  installExitHook();
  const logFile = path.join(workDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn('bash', ['-c', WATCHDOG, 'kafka-tier-jvm', java, ...args], {
    cwd: workDir,
    stdio: ['ignore', fd, fd],
    detached: true,
    env: { ...process.env, PPID_OF_WATCHDOG: String(process.pid) },
  });
  fs.closeSync(fd);
  live.add(child);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode, signal) => {
      live.delete(child);
      code = exitCode ?? (signal ? -1 : null);
      resolve(code);
    });
    child.once('error', (error) => {
      live.delete(child);
      fs.appendFileSync(logFile, `\nspawn error: ${error.message}\n`);
      code = -1;
      resolve(code);
    });
  });
  return { name, child, logFile, exited, exitCode: () => code };
}

async function stopJava(proc: JavaProcess, graceMs = 15_000): Promise<void> {
  if (proc.exitCode() !== undefined) return;
  signalGroup(proc.child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(proc.child, 'SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

async function waitFor(
  what: string,
  timeoutMs: number,
  proc: JavaProcess,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const code = proc.exitCode();
    if (code !== undefined)
      throw new Error(`${proc.name} exited with ${String(code)} while waiting for ${what}`);
    try {
      if (await probe()) return;
    } catch (error) {
      if (error instanceof FatalError) throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    await sleep(300);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function withDetail(error: unknown, detail: string): Error {
  const base = error instanceof Error ? error : new Error(String(error));
  base.message += detail;
  return base;
}

export function tailOf(file: string, lines = 60): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function writeProperties(file: string, properties: Record<string, string>): void {
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  const body = Object.entries(properties)
    .map(([key, value]) => `${key}=${escape(value)}`)
    .join('\n');
  fs.writeFileSync(file, `${body}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const LOG4J2_PROPERTIES = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
logger.debezium.name = io.debezium
logger.debezium.level = INFO
`;
