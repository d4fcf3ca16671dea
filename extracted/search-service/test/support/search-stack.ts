import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runCardsMigrations } from '../../../cards-service/src/database/run-migrations.js';
import { createLegacyApp } from '../../../../legacy-monolith/src/app.factory.js';
import { DEFAULT_AUTH_TOKEN_SECRET } from '../../../../legacy-monolith/src/config/legacy-config.js';
import { runLegacyMigrations } from '../../../../legacy-monolith/src/database/run-migrations.js';
import { seedLegacyDatabase } from '../../../../legacy-monolith/src/seed/seed-legacy-database.js';
import type { PostgresCluster } from '../../../../stack/postgres-cluster.js';
import {
  dropPipelineSource,
  loadPipelineDefinition,
  startPipeline,
  type PipelineDefinition,
  type RunningPipeline,
} from '../../../../strangler-sync/src/index.js';
import { createTestDatabase, startTestPostgres } from '../../../../test-support/database.js';
import { createSearchServiceApp } from '../../src/app.factory.js';
import { runSearchMigrations } from '../../src/database/run-migrations.js';

/** Hooks start PostgreSQL, two pipelines and two Nest apps: allow for a loaded CI machine. */
export const E2E_TIMEOUT_MS = 120_000;

const pipelineFile = (name: string) =>
  fileURLToPath(new URL(`../../../../migrations/pipelines/${name}.pipeline.yaml`, import.meta.url));

/**
 * legacy → (cards pipeline) → cards DB → (search pipeline) → search DB, with legacy-monolith
 * and search-service listening on loopback: the path search-service's data takes in production.
 */
export interface SearchStack {
  readonly legacyUrl: string;
  readonly cardsUrl: string;
  readonly searchUrl: string;
  readonly oldBaseUrl: string;
  readonly newBaseUrl: string;
  /** What contracts/search needs (contracts/search/example.vars.yaml). */
  readonly vars: Record<string, string>;
  /** The running pipelines' definitions, with the URLs they run on. */
  readonly pipelines: Record<'cards' | 'search', { definition: PipelineDefinition; urls: Urls }>;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL; legacy migrated and seeded; the cards and search databases migrated and
 * filled by the real `cards` and `search` pipelines (initial copy, then streaming).
 */
export async function startSearchStack(
  label: string,
  seed = { seed: 7, users: 40, cards: 200 },
): Promise<SearchStack> {
  const cluster: PostgresCluster = await startTestPostgres(label);
  const apps: INestApplication[] = [];
  const pipelines: { definition: PipelineDefinition; running: RunningPipeline; urls: Urls }[] = [];
  const stop = async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    for (const { running } of pipelines.reverse()) await running.stop().catch(() => undefined);
    // A leftover slot holds WAL on a shared server (STRANGLER_TEST_PG_URL).
    for (const { definition, urls } of pipelines)
      await dropPipelineSource(definition, urls).catch(() => undefined);
    await cluster.stop();
  };
  try {
    const legacyUrl = await createTestDatabase(cluster, 'search_legacy');
    await runLegacyMigrations(legacyUrl);
    await seedLegacyDatabase(legacyUrl, seed);
    const cardsUrl = await createTestDatabase(cluster, 'search_cards');
    await runCardsMigrations(cardsUrl);
    const searchUrl = await createTestDatabase(cluster, 'search_search');
    await runSearchMigrations(searchUrl);

    for (const [name, urls] of [
      ['cards', { sourceUrl: legacyUrl, targetUrl: cardsUrl }],
      ['search', { sourceUrl: cardsUrl, targetUrl: searchUrl }],
    ] as const) {
      const definition = await loadPipelineDefinition(pipelineFile(name));
      // Resolves once the initial copy is done and the pipeline streams.
      const running = await startPipeline(definition, urls);
      pipelines.push({ definition, running, urls });
    }

    const legacy = await createLegacyApp(
      { databaseUrl: legacyUrl, port: 0, authTokenSecret: DEFAULT_AUTH_TOKEN_SECRET },
      { logger: false },
    );
    apps.push(legacy);
    const search = await createSearchServiceApp(
      { databaseUrl: searchUrl, port: 0 },
      { logger: ['error'] },
    );
    apps.push(search);
    return {
      legacyUrl,
      cardsUrl,
      searchUrl,
      oldBaseUrl: await listen(legacy),
      newBaseUrl: await listen(search),
      vars: await suiteVars(legacyUrl),
      pipelines: { cards: pipelines[0], search: pipelines[1] },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Urls {
  sourceUrl: string;
  targetUrl: string;
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as { address(): AddressInfo }).address();
  return `http://127.0.0.1:${address.port}`;
}

/** A hidden card's title, searched as a phrase: legacy finds other cards or none, never it. */
async function suiteVars(legacyUrl: string): Promise<Record<string, string>> {
  const rows = await query<{ id: string; title: string }>(
    legacyUrl,
    `SELECT id, title FROM cards WHERE status = 'hidden' ORDER BY id LIMIT 1`,
  );
  const hidden = rows[0];
  if (!hidden) throw new Error('the seed has no hidden card');
  return { hiddenCardId: hidden.id, hiddenCardTitle: hidden.title };
}

/** One statement on `url` (a short-lived connection). */
export async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
