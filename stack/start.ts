/**
 * `npm start`: the whole bundled example on one machine with nothing but Node.
 *
 * 1. a real PostgreSQL (embedded, or the server/databases named in the environment),
 *    one database per service, wal_level=logical;
 * 2. migrations for each database, the legacy seed, and the data copy into cards-service;
 * 3. legacy-monolith, cards-service and the facade as separate processes with prefixed logs;
 * 4. waits for health, prints where everything listens and where each route goes;
 * 5. Ctrl-C stops the processes and the embedded PostgreSQL (nothing left running).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyCardsFromLegacy } from '../extracted/cards-service/src/copy-from-legacy/copy-from-legacy.js';
import { runCardsMigrations } from '../extracted/cards-service/src/database/run-migrations.js';
import { runLegacyMigrations } from '../legacy-monolith/src/database/run-migrations.js';
import {
  seedLegacyDatabase,
  type SeedSummary,
} from '../legacy-monolith/src/seed/seed-legacy-database.js';
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

async function created(cluster: PostgresCluster, name: string): Promise<string> {
  await cluster.ensureDatabase(name);
  return cluster.databaseUrl(name);
}

async function prepareData(config: StackConfig, db: Databases): Promise<SeedSummary> {
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
  const copied = await copyCardsFromLegacy(db.legacyUrl, db.cardsUrl);
  log(`copied legacy rows into cards-service: ${JSON.stringify(copied)}`);
  return seeded;
}

function startServices(config: StackConfig, db: Databases): SupervisedProcess[] {
  const write = (line: string) => console.log(line);
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
  const db = await openDatabases(config);
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
  process.on('SIGINT', () => void shutdown('interrupted', 0));
  process.on('SIGTERM', () => void shutdown('terminated', 0));

  try {
    const seeded = await prepareData(config, db);
    processes = startServices(config, db);
    for (const proc of processes) {
      void proc.exited.then((code) => shutdown(`${proc.name} exited with ${code}`, 1));
    }
    const alive = (proc: SupervisedProcess | undefined) => () => proc?.child.exitCode === null;
    await Promise.all([
      waitForHealth('legacy', `http://127.0.0.1:${config.LEGACY_PORT}/health`, {
        alive: alive(processes[0]),
      }),
      waitForHealth('cards-service', `http://127.0.0.1:${config.CARDS_SERVICE_PORT}/health`, {
        alive: alive(processes[1]),
      }),
      waitForHealth('facade', `http://127.0.0.1:${config.STRANGLER_ADMIN_PORT}/health`, {
        alive: alive(processes[2]),
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
