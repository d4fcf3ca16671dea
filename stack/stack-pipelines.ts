/**
 * The example's three sync pipelines, each its own `strangler-sync start` process:
 *
 * - `cards`: legacy → cards-service (initial copy, then streaming);
 * - `cards-reverse`: cards-service → legacy, idle until the writes move to cards-service (change of
 *   data ownership); it copies nothing at start, and the two skip each other's applied changes
 *   (replication origins), so nothing echoes;
 * - `search`: cards-service → search-service's read model.
 */
import path from 'node:path';

import { loadPipelineDefinition, readPipelineStatus } from '../strangler-sync/src/index.js';
import { spawnNodeProcess, type SupervisedProcess } from './process-supervisor.js';
import type { StackConfig } from './stack-config.js';

export interface StackDatabases {
  legacyUrl: string;
  cardsUrl: string;
  searchUrl: string;
}

export interface StackPipeline {
  /** The pipeline's name and file (migrations/pipelines/<name>.pipeline.yaml). */
  readonly name: string;
  readonly file: string;
  readonly sourceUrl: string;
  readonly targetUrl: string;
  readonly metricsPort: number;
  /** Which way the rows go, for the log (`legacy -> cards-service`). */
  readonly direction: string;
}

export function stackPipelines(
  repoRoot: string,
  config: StackConfig,
  db: StackDatabases,
): StackPipeline[] {
  const file = (name: string) => path.join(repoRoot, `migrations/pipelines/${name}.pipeline.yaml`);
  return [
    {
      name: 'cards',
      file: file('cards'),
      sourceUrl: db.legacyUrl,
      targetUrl: db.cardsUrl,
      metricsPort: config.SYNC_METRICS_PORT,
      direction: 'legacy -> cards-service',
    },
    {
      name: 'cards-reverse',
      file: file('cards-reverse'),
      sourceUrl: db.cardsUrl,
      targetUrl: db.legacyUrl,
      metricsPort: config.CARDS_REVERSE_SYNC_METRICS_PORT,
      direction: 'cards-service -> legacy, for when the writes move',
    },
    {
      name: 'search',
      file: file('search'),
      sourceUrl: db.cardsUrl,
      targetUrl: db.searchUrl,
      metricsPort: config.SEARCH_SYNC_METRICS_PORT,
      direction: "cards-service -> search-service's read model",
    },
  ];
}

/** `strangler-sync start <file>` with every database URL the example's pipeline files name. */
export function startPipelineProcess(
  distRoot: string,
  pipeline: StackPipeline,
  db: StackDatabases,
  write: (line: string) => void,
): SupervisedProcess {
  return spawnNodeProcess({
    name: `sync:${pipeline.name}`,
    script: path.join(distRoot, 'strangler-sync/src/cli.js'),
    args: ['start', pipeline.file, '--metrics-port', String(pipeline.metricsPort)],
    env: {
      ...process.env,
      LEGACY_DATABASE_URL: db.legacyUrl,
      CARDS_DATABASE_URL: db.cardsUrl,
      SEARCH_DATABASE_URL: db.searchUrl,
    },
    write,
    quiet: true,
  });
}

/** Waits until the pipeline has finished its initial copy (if any) and streams. */
export async function waitForStreaming(
  pipeline: StackPipeline,
  sync: SupervisedProcess,
  timeoutMs = 180_000,
): Promise<void> {
  const definition = await loadPipelineDefinition(pipeline.file);
  const urls = { sourceUrl: pipeline.sourceUrl, targetUrl: pipeline.targetUrl };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (sync.child.exitCode !== null)
      throw new Error(`the ${pipeline.name} pipeline exited before it was streaming`);
    const status = await readPipelineStatus(definition, urls).catch(() => undefined);
    if (status?.phase === 'streaming') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the ${pipeline.name} pipeline was not streaming within ${timeoutMs / 1000} s`);
}
