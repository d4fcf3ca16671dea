import { pino, type Logger } from 'pino';
import { resetOriginSession, setUpOriginSession } from '../apply/replication-origin.js';
import { ensureSyncTables } from '../apply/sync-bookkeeping.js';
import { createSlotWithSnapshot } from '../capture/replication-slot.js';
import {
  suffixedOrigin,
  type PipelineDefinition,
} from '../pipeline-definition/pipeline-definition.schema.js';
import { copyTables, type SnapshotProgress } from '../snapshot/initial-load.js';
import {
  applierFor,
  compileMappings,
  connect,
  databaseName,
  resolveUrls,
  type PipelineUrls,
} from './pipeline-connections.js';

export interface BackfillOptions extends PipelineUrls {
  logger?: Logger;
  onProgress?: (progress: SnapshotProgress) => void;
}

/**
 * Copies one source table again, as of a fresh consistent snapshot S (exported by a temporary
 * slot, so the pipeline's own slot keeps its position), with `op: "r"` events marked
 * `incremental`. Safe while the pipeline streams: copied rows are positioned at (S, 0), so the
 * stream's changes committed after S still win and those before S (already in the copy) are
 * skipped; at the end, target rows nothing at or after S wrote are removed.
 *
 * Its writes carry the replication origin `<pipeline origin>:backfill` (the streaming apply holds
 * the pipeline's own origin at the same time): a pipeline that skips this one's applied changes
 * skips the backfill's too. The origin stays until `strangler-sync drop`: pgoutput names a
 * transaction's origin when it DECODES it, so an origin dropped while another direction still
 * lags would make the backfill's transactions look native to it, and they would echo. One
 * backfill of a pipeline at a time (a second one waits for the origin, then gives up).
 */
export async function backfillTable(
  definition: PipelineDefinition,
  table: string,
  options: BackfillOptions = {},
): Promise<{ rowsCopied: number }> {
  if (!(table in definition.tables))
    throw new Error(`pipeline ${definition.name} has no table "${table}"`);
  const logger = options.logger ?? pino({ level: 'silent' });
  const { sourceUrl, targetUrl } = resolveUrls(definition, options);
  const source = await connect(sourceUrl);
  const target = await connect(targetUrl);
  const origin = suffixedOrigin(definition.origin, 'backfill');
  try {
    await setUpOriginSession(target, origin, { logger, pipeline: definition.name });
    const mappings = (await compileMappings(definition, source, target)).filter(
      (m) => m.source.table === table,
    );
    await ensureSyncTables(target, definition.target.schema);
    const snapshot = await createSlotWithSnapshot(
      sourceUrl,
      `${definition.slot}_backfill_${process.pid}`,
      { temporary: true },
    );
    let rowsCopied = 0;
    try {
      await copyTables({
        pipeline: `${definition.name}:backfill`,
        sourceUrl,
        sourceDb: databaseName(sourceUrl),
        target,
        targetSchema: definition.target.schema,
        mappings,
        applier: applierFor(definition, mappings),
        chunkSize: definition.snapshot.chunkSize,
        snapshotName: snapshot.snapshotName,
        consistentPoint: snapshot.consistentPoint,
        marker: 'incremental',
        restart: true,
        logger,
        onProgress: (progress) => {
          rowsCopied = progress.rowsCopied;
          options.onProgress?.(progress);
        },
      });
    } finally {
      await snapshot.release();
    }
    return { rowsCopied };
  } finally {
    await source.end();
    await resetOriginSession(target);
    await target.end();
  }
}
