import pg from 'pg';
import { pino, type Logger } from 'pino';
import {
  ensureSyncTables,
  readSyncState,
  syncTables,
  writeSyncState,
} from '../apply/sync-bookkeeping.js';
import {
  dropOrigins,
  resetOriginSession,
  setUpOriginSession,
} from '../apply/replication-origin.js';
import type { TargetRetryOptions } from '../apply/target-connection.js';
import {
  createSlotWithSnapshot,
  dropPublication,
  dropSlot,
  ensurePublication,
  readSlot,
  type ExportedSnapshot,
  type SlotInfo,
} from '../capture/replication-slot.js';
import { maxLsn, normaliseLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import { syncMetrics } from '../metrics.js';
import type { PipelineDefinition } from '../pipeline-definition/pipeline-definition.schema.js';
import { copyTables, type SnapshotProgress } from '../snapshot/initial-load.js';
import {
  applierFor,
  compileMappings,
  connect,
  databaseName,
  resolveUrls,
  type PipelineUrls,
} from './pipeline-connections.js';
import { ChangeStreamer } from './stream-changes.js';
import { KafkaTransport, type ChangeTransport } from '../transport/change-transport.js';
import { startExternalKafkaPipeline } from '../transport/external-kafka-pipeline.js';
import {
  readPipelineStatus,
  startRuntimeReporter,
  type PipelineStatus,
} from './pipeline-control.js';

export { readPipelineStatus, type PipelineStatus } from './pipeline-control.js';

export type PipelineProgress =
  SnapshotProgress | { phase: 'streaming'; pipeline: string; appliedLsn: Lsn };

export interface StartPipelineOptions extends PipelineUrls {
  onProgress?: (progress: PipelineProgress) => void;
  logger?: Logger;
  /** How long a target outage may last before the pipeline fails (default 30 s), and backoff. */
  targetRetry?: TargetRetryOptions;
}

export interface RunningPipeline {
  /** Stops at a source transaction boundary, committing and acknowledging what is applied. */
  stop(): Promise<void>;
  status(): Promise<PipelineStatus>;
  /** Settles when the pipeline ends: resolves after stop(), rejects when it fails. */
  readonly done: Promise<void>;
}

/**
 * Starts a pipeline: checks the mapping against both databases, creates the sync tables in the
 * target, the publication and (first run) the slot with an exported snapshot; copies the tables
 * in that snapshot (or finishes an interrupted copy); then streams from
 * max(slot confirmed_flush, target applied LSN). Resolves once streaming has started.
 */
export async function startPipeline(
  definition: PipelineDefinition,
  options: StartPipelineOptions = {},
): Promise<RunningPipeline> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const { sourceUrl, targetUrl } = resolveUrls(definition, options);
  const pipeline = definition.name;
  const schema = definition.target.schema;
  let phase: PipelineStatus['phase'] = 'starting';
  const startedAt = new Date();
  let failure: Error | null = null;
  // A Debezium connector captures: only the apply side runs here (src/transport/).
  if (definition.transport.kind === 'kafka' && definition.transport.capture === 'external')
    return startExternalKafkaPipeline(definition, definition.transport, options);

  const source = await connect(sourceUrl);
  const target = await connect(targetUrl);
  let streamer: ChangeTransport;
  let echoesSkipped = 0;
  const onEchoSkipped = () => {
    echoesSkipped += 1;
  };
  try {
    // The initial load's writes carry the pipeline's origin too (the streaming session takes it
    // over below, after this session released it).
    await setUpOriginSession(target, definition.origin, { logger, pipeline });
    const mappings = await compileMappings(definition, source, target);
    const applier = applierFor(definition, mappings);
    await ensureSyncTables(target, schema);
    await ensurePublication(
      source,
      definition.publication,
      mappings.map((m) => ({ schema: m.source.schema, table: m.source.table })),
    );

    let state = await readSyncState(target, schema, pipeline);
    let slot = await readSlot(source, definition.slot);
    if (slot && slot.plugin !== 'pgoutput')
      throw new Error(`replication slot ${definition.slot} uses ${slot.plugin}, not pgoutput`);

    // Tables added to the definition after the initial load still need their first copy.
    const uncopied = definition.snapshot.enabled
      ? await tablesWithoutCompleteCopy(
          target,
          schema,
          pipeline,
          mappings.map((m) => m.sourceName),
        )
      : [];
    if (!slot || !state || state.phase === 'snapshot' || uncopied.length > 0) {
      phase = 'snapshot';
      let snapshot: ExportedSnapshot;
      if (!slot) {
        if (state?.phase === 'streaming')
          logger.warn(
            { pipeline, slot: definition.slot },
            'replication slot is gone: changes since the last run were lost, copying all tables again',
          );
        // A new slot: its exported snapshot is exactly the state the slot streams from.
        snapshot = await createSlotWithSnapshot(sourceUrl, definition.slot, { temporary: false });
        await target.query(`DELETE FROM ${syncTables(schema).progress} WHERE pipeline = $1`, [
          pipeline,
        ]);
        state = {
          pipeline,
          slot: definition.slot,
          phase: 'snapshot',
          snapshotLsn: normaliseLsn(snapshot.consistentPoint),
          appliedLsn: null,
          appliedSourceTime: null,
          updatedAt: new Date(),
        };
        await writeSyncState(target, schema, state);
      } else {
        // The slot survived but the copy did not finish (its snapshot died with the process
        // that exported it). A temporary slot exports a fresh snapshot at a later point S: the
        // rest is copied as of S, and the stream replays from the slot's older position; the
        // row versions make replayed changes older than S no-ops for rows copied at S.
        snapshot = await createSlotWithSnapshot(
          sourceUrl,
          `${definition.slot}_resume_${process.pid}`,
          {
            temporary: true,
          },
        );
        if (state?.phase === 'streaming')
          logger.info({ pipeline, tables: uncopied }, 'copying tables new to the pipeline');
        state = {
          pipeline,
          slot: definition.slot,
          phase: state?.phase === 'streaming' ? 'streaming' : 'snapshot',
          snapshotLsn: state?.snapshotLsn ?? slot.confirmedFlushLsn,
          appliedLsn: state?.appliedLsn ?? null,
          appliedSourceTime: state?.appliedSourceTime ?? null,
          updatedAt: new Date(),
        };
        await writeSyncState(target, schema, state);
      }
      try {
        if (definition.snapshot.enabled) {
          logger.info({ pipeline, consistentPoint: snapshot.consistentPoint }, 'initial load');
          await copyTables({
            pipeline,
            sourceUrl,
            sourceDb: databaseName(sourceUrl),
            target,
            targetSchema: schema,
            mappings,
            applier,
            chunkSize: definition.snapshot.chunkSize,
            snapshotName: snapshot.snapshotName,
            consistentPoint: snapshot.consistentPoint,
            marker: 'true',
            logger,
            onProgress: options.onProgress,
          });
        }
      } finally {
        await snapshot.release();
      }
      state = { ...state, phase: 'streaming' };
      await writeSyncState(target, schema, state);
      slot = await readSlot(source, definition.slot);
    }

    slot = await waitForInactiveSlot(source, definition.slot, logger);
    const appliedLsn = state.appliedLsn ? normaliseLsn(state.appliedLsn) : ZERO_LSN;
    const startLsn = maxLsn(slot?.confirmedFlushLsn, appliedLsn);
    logger.info({ pipeline, startLsn, appliedLsn }, 'streaming');
    streamer = new ChangeStreamer({
      pipeline,
      sourceUrl,
      sourceDb: databaseName(sourceUrl),
      targetUrl,
      targetSchema: schema,
      slot: definition.slot,
      publication: definition.publication,
      appliedLsn,
      startLsn: normaliseLsn(startLsn),
      applier,
      logger,
      onCommitted: (lsn) => options.onProgress?.({ phase: 'streaming', pipeline, appliedLsn: lsn }),
      targetRetry: options.targetRetry,
      origin: definition.origin,
      skipOrigins: definition.skipOrigins,
      onEchoSkipped,
    });
    if (definition.transport.kind === 'kafka')
      // The same capture and apply, with Kafka in between (src/kafka/).
      streamer = new KafkaTransport({
        definition,
        transport: definition.transport,
        mappings,
        applier,
        targetUrl,
        logger,
        capture: { sourceUrl, sourceDb: databaseName(sourceUrl), startLsn: normaliseLsn(startLsn) },
        onEchoSkipped,
      });
  } catch (error) {
    await source.end();
    await target.end();
    throw error;
  }
  await resetOriginSession(target);
  await target.end();

  let running: { done: Promise<void> };
  try {
    running = await streamer.start();
  } catch (error) {
    await source.end();
    throw error;
  }
  phase = 'streaming';
  const lagTimer = setInterval(() => {
    readSlot(source, definition.slot).then(
      (slot) => syncMetrics.lagBytes.set({ pipeline }, slot?.lagBytes ?? 0),
      () => undefined,
    );
  }, 5000);
  lagTimer.unref();
  // Events/s and lag seconds for `status` and the metrics; the stop flag of `strangler-sync stop`.
  const reporter = startRuntimeReporter({
    pipeline,
    targetUrl,
    targetSchema: schema,
    logger,
    startedAt,
    onStopRequested: () => void streamer.stop().catch(() => undefined),
    echoTransactionsSkipped: () => echoesSkipped,
  });

  const done = running.done.then(
    () => {
      phase = 'stopped';
    },
    (error: unknown) => {
      phase = 'failed';
      failure = error instanceof Error ? error : new Error(String(error));
      logger.error({ pipeline, err: failure }, 'pipeline failed');
      throw failure;
    },
  );
  const closed = done
    .catch(() => undefined)
    .finally(async () => {
      clearInterval(lagTimer);
      await reporter.close();
      await source.end().catch(() => undefined);
    });

  return {
    done,
    stop: async () => {
      await streamer.stop().catch(() => undefined);
      await closed;
    },
    status: async () => {
      const info = await readPipelineStatus(definition, { sourceUrl, targetUrl });
      return {
        ...info,
        phase,
        appliedLsn: maxLsn(info.appliedLsn, streamer.applied),
        echoTransactionsSkipped: echoesSkipped,
        error: failure?.message ?? null,
      };
    },
  };
}

/** Source tables (`schema.table`) whose initial copy is not recorded as complete. */
async function tablesWithoutCompleteCopy(
  target: pg.ClientBase,
  schema: string,
  pipeline: string,
  tables: string[],
): Promise<string[]> {
  const done = await target.query<{ source_table: string }>(
    `SELECT source_table FROM ${syncTables(schema).progress} WHERE pipeline = $1 AND done`,
    [pipeline],
  );
  const complete = new Set(done.rows.map((r) => r.source_table));
  return tables.filter((t) => !complete.has(t));
}

/**
 * A slot stays active until the server notices its previous reader is gone (a killed process):
 * wait for that rather than fail with "replication slot is active".
 */
async function waitForInactiveSlot(
  source: pg.ClientBase,
  slot: string,
  logger: Logger,
  timeoutMs = 15_000,
): Promise<SlotInfo | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await readSlot(source, slot);
    if (!info?.active) return info;
    if (Date.now() > deadline)
      throw new Error(`replication slot ${slot} is in use by server process ${info.activePid}`);
    logger.info({ slot, pid: info.activePid }, 'waiting for the slot to be released');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Drops the pipeline's slot and publication on the source, and its replication origin(s) on the
 * target server (the target keeps its rows). Stop the pipeline first: an origin a running apply
 * session holds cannot be dropped.
 */
export async function dropPipelineSource(
  definition: PipelineDefinition,
  urls: PipelineUrls,
): Promise<{ origins: string[] }> {
  const { sourceUrl, targetUrl } = resolveUrls(definition, urls);
  const source = new pg.Client({ connectionString: sourceUrl });
  await source.connect();
  try {
    await dropSlot(source, definition.slot);
    await dropPublication(source, definition.publication);
  } finally {
    await source.end();
  }
  const target = new pg.Client({ connectionString: targetUrl });
  await target.connect();
  try {
    return { origins: await dropOrigins(target, definition.origin) };
  } finally {
    await target.end();
  }
}
