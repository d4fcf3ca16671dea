import pg from 'pg';
import type { Logger } from 'pino';
import { pendingLagSeconds } from '../apply/apply-lag.js';
import { readSyncState, syncTables, type SyncState } from '../apply/sync-bookkeeping.js';
import { readSlot, type SlotInfo } from '../capture/replication-slot.js';
import type { Lsn } from '../lsn.js';
import { syncMetrics } from '../metrics.js';
import type { PipelineDefinition } from '../pipeline-definition/pipeline-definition.schema.js';
import { resolveUrls, type PipelineUrls } from './pipeline-connections.js';

/**
 * Operating a pipeline from outside its process: the status every command can read from the two
 * databases, and `stop`. The running process reports once a second into the target's
 * `_strangler_pipeline_runtime` (events per second, lag seconds) and reads the stop flag there.
 */

/** The fields after `slot` up to `stopRequested` are filled by readPipelineStatus (optional for
 * transports that cannot tell). */
export interface PipelineStatus {
  pipeline: string;
  phase: 'starting' | 'snapshot' | 'streaming' | 'stopped' | 'failed';
  /** Commit end LSN of the last source transaction committed in the target. */
  appliedLsn: Lsn | null;
  /** Source commit time of that transaction. */
  appliedSourceTime?: string | null;
  slot: SlotInfo | null;
  /** pg_current_wal_lsn() - the slot's confirmed_flush_lsn: WAL the slot holds (null: no slot). */
  lagBytes?: number | null;
  /**
   * How far behind the target is, in seconds. While the pipeline runs: seconds since the commit
   * of the oldest source transaction it has received and not yet committed in the target (0 when
   * caught up), as it reported at most a few seconds ago. Otherwise: seconds since the last
   * applied source commit when `lagBytes` > 0 (an upper bound: everything committed since may be
   * waiting), 0 when `lagBytes` is 0, null when nothing was applied yet.
   */
  lagSeconds?: number | null;
  /** Change events handled per second over the last 10 s (null when the pipeline is not running). */
  eventsPerSecond?: number | null;
  /** When the running process last reported (null: never, or not since it started). */
  reportedAt?: string | null;
  /** A `stop` is pending (the running pipeline has not acted on it yet). */
  stopRequested?: boolean;
  /** Replication origin the apply side commits under (docs/sync.md, "Two directions"). */
  origin?: string;
  /** Pipelines whose applied changes the capture skips. */
  skipAppliedBy?: string[];
  /**
   * Source transactions skipped as echoes (applied by a `skipAppliedBy` pipeline) since the
   * running process started; null when it is not running.
   */
  echoTransactionsSkipped?: number | null;
  deadLetters: number;
  error: string | null;
}

/** A report older than this is stale: its process is gone or stuck. */
const FRESH_MS = 10_000;
/** Reports (and stop-flag checks) this often. */
const REPORT_EVERY_MS = 1000;
/** Events per second are averaged over this window. */
const RATE_WINDOW_MS = 10_000;

async function connectQuietly(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined); // the next query reports it
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

async function hasTable(client: pg.ClientBase, table: string): Promise<boolean> {
  const result = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
    table,
  ]);
  return result.rows[0]?.t != null;
}

/** The pipeline's state as the databases record it (also when it is not running). */
export async function readPipelineStatus(
  definition: PipelineDefinition,
  urls: PipelineUrls,
): Promise<PipelineStatus> {
  const { sourceUrl, targetUrl } = resolveUrls(definition, urls);
  const tables = syncTables(definition.target.schema);
  const source = await connectQuietly(sourceUrl);
  try {
    const slot = await readSlot(source, definition.slot);
    const target = await connectQuietly(targetUrl);
    try {
      let state: SyncState | null = null;
      let deadLetters = 0;
      let runtime: RuntimeRow | null = null;
      if (await hasTable(target, tables.state)) {
        state = await readSyncState(target, definition.target.schema, definition.name);
        const count = await target.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${tables.deadLetters} WHERE pipeline = $1`,
          [definition.name],
        );
        deadLetters = Number(count.rows[0]?.n ?? 0);
      }
      if (await hasTable(target, tables.runtime)) {
        const result = await target.query<RuntimeRow>(
          `SELECT reported_at, events_per_second, lag_seconds, stop_requested_at,
                  (to_jsonb(r) ->> 'echo_skipped')::float8 AS echo_skipped,
                  (extract(epoch FROM now() - reported_at) * 1000)::float8 AS age_ms
             FROM ${tables.runtime} AS r WHERE pipeline = $1`,
          [definition.name],
        );
        runtime = result.rows[0] ?? null;
      }
      const running = slot?.active === true;
      const fresh =
        running && runtime?.age_ms != null && runtime.age_ms >= 0 && runtime.age_ms < FRESH_MS;
      const lagBytes = slot?.lagBytes ?? null;
      let lagSeconds: number | null;
      if (fresh && runtime?.lag_seconds != null) lagSeconds = runtime.lag_seconds;
      else if (lagBytes === 0) lagSeconds = 0;
      else if (state?.appliedSourceTime)
        lagSeconds = Math.max(0, (Date.now() - state.appliedSourceTime.getTime()) / 1000);
      else lagSeconds = null;
      return {
        pipeline: definition.name,
        phase: state && running ? state.phase : 'stopped',
        appliedLsn: state?.appliedLsn ?? null,
        appliedSourceTime: state?.appliedSourceTime?.toISOString() ?? null,
        slot,
        lagBytes,
        lagSeconds: lagSeconds === null ? null : round(lagSeconds, 3),
        eventsPerSecond: fresh ? round(runtime?.events_per_second ?? 0, 1) : null,
        reportedAt: runtime?.reported_at?.toISOString() ?? null,
        stopRequested: runtime?.stop_requested_at != null,
        origin: definition.origin,
        skipAppliedBy: definition.skipAppliedBy,
        echoTransactionsSkipped: fresh ? (runtime?.echo_skipped ?? 0) : null,
        deadLetters,
        error: null,
      };
    } finally {
      await target.end().catch(() => undefined);
    }
  } finally {
    await source.end().catch(() => undefined);
  }
}

interface RuntimeRow {
  reported_at: Date | null;
  events_per_second: number | null;
  lag_seconds: number | null;
  stop_requested_at: Date | null;
  echo_skipped: number | null;
  age_ms: number | null;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export type StopOutcome =
  | 'stopped' // the running pipeline saw the flag and stopped cleanly
  | 'not-running' // nothing held the slot
  | 'terminated' // it did not stop in time: its replication connection was terminated
  | 'timeout'; // it did not stop in time and `terminate` was false

/**
 * Stops a pipeline running in another process: sets the stop flag in the target's runtime table
 * (the running pipeline checks it every second and stops at a source transaction boundary,
 * committing and acknowledging what it applied), then waits for the slot to be released. The
 * slot stays, so a later `start` resumes exactly there. As a last resort, after `timeoutMs`,
 * the slot's walsender is terminated (pg_terminate_backend): the process then fails, and
 * whatever it had not committed is replayed on the next start.
 */
export async function requestStop(
  definition: PipelineDefinition,
  urls: PipelineUrls,
  options: { timeoutMs?: number; terminate?: boolean } = {},
): Promise<StopOutcome> {
  const { sourceUrl, targetUrl } = resolveUrls(definition, urls);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const source = await connectQuietly(sourceUrl);
  try {
    const slot = await readSlot(source, definition.slot);
    if (!slot?.active) return 'not-running';
    const target = await connectQuietly(targetUrl);
    try {
      await target.query(
        `INSERT INTO ${syncTables(definition.target.schema).runtime} (pipeline, stop_requested_at)
         VALUES ($1, now())
         ON CONFLICT (pipeline) DO UPDATE SET stop_requested_at = now()`,
        [definition.name],
      );
    } finally {
      await target.end().catch(() => undefined);
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await readSlot(source, definition.slot))?.active) return 'stopped';
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const still = await readSlot(source, definition.slot);
    if (!still?.active) return 'stopped';
    if (!options.terminate || still.activePid === null) return 'timeout';
    await source.query('SELECT pg_terminate_backend($1)', [still.activePid]);
    for (let i = 0; i < 50 && (await readSlot(source, definition.slot))?.active; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return 'terminated';
  } finally {
    await source.end().catch(() => undefined);
  }
}

export interface RuntimeReporter {
  close(): Promise<void>;
}

/**
 * In the running pipeline: once a second, sets the lag-seconds and events-per-second gauges and
 * writes them to `_strangler_pipeline_runtime`, and calls `onStopRequested` (once) when the
 * stop flag is set. A flag older than `startedAt` is stale (its process died before it acted on
 * it) and is cleared. Errors (a target outage) are logged and
 * the next tick tries again.
 */
export function startRuntimeReporter(options: {
  pipeline: string;
  targetUrl: string;
  targetSchema: string;
  logger: Logger;
  /** When the pipeline was started: stop requests older than this are stale and cleared. */
  startedAt: Date;
  onStopRequested: () => void;
  /** Echo transactions skipped since the pipeline started (skipAppliedBy). */
  echoTransactionsSkipped?: () => number;
}): RuntimeReporter {
  const { pipeline, logger } = options;
  const table = syncTables(options.targetSchema).runtime;
  const pool = new pg.Pool({
    connectionString: options.targetUrl,
    max: 1,
    connectionTimeoutMillis: 5000,
    query_timeout: 5000, // a hung target must not hold up close()
  });
  pool.on('error', () => undefined); // an idle connection lost in an outage: the pool replaces it
  const samples: { at: number; events: number }[] = [];
  let first = true;
  let stopping = false;
  let closed = false;
  let inFlight: Promise<void> = Promise.resolve();

  const eventsSoFar = async () =>
    (await syncMetrics.eventsApplied.get()).values
      .filter((v) => v.labels.pipeline === pipeline)
      .reduce((sum, v) => sum + v.value, 0);

  const tick = async () => {
    const now = Date.now();
    samples.push({ at: now, events: await eventsSoFar() });
    while (samples.length > 2 && (samples[0]?.at ?? now) < now - RATE_WINDOW_MS) samples.shift();
    const oldest = samples[0] ?? { at: now, events: 0 };
    const newest = samples[samples.length - 1] ?? oldest;
    const seconds = (newest.at - oldest.at) / 1000;
    const rate = seconds > 0 ? (newest.events - oldest.events) / seconds : 0;
    const lagSeconds = pendingLagSeconds(pipeline, now);
    const echoes = options.echoTransactionsSkipped?.() ?? 0;
    syncMetrics.eventsPerSecond.set({ pipeline }, rate);
    syncMetrics.lagSeconds.set({ pipeline }, lagSeconds);
    const result = await pool.query<{ stop: boolean }>(
      `INSERT INTO ${table} AS r
         (pipeline, started_at, reported_at, events_per_second, lag_seconds, echo_skipped)
       VALUES ($1, $5, now(), $2, $3, $6)
       ON CONFLICT (pipeline) DO UPDATE SET reported_at = now(), events_per_second = $2,
         lag_seconds = $3, echo_skipped = $6,
         started_at = CASE WHEN $4 THEN $5 ELSE r.started_at END,
         stop_requested_at = CASE WHEN r.stop_requested_at < $5 THEN NULL
                                  ELSE r.stop_requested_at END
       RETURNING stop_requested_at IS NOT NULL AS stop`,
      [pipeline, rate, lagSeconds, first, options.startedAt, echoes],
    );
    first = false;
    if (result.rows[0]?.stop && !stopping) {
      stopping = true;
      logger.info({ pipeline }, 'stop requested (strangler-sync stop): stopping');
      options.onStopRequested();
    }
  };
  const timer = setInterval(() => {
    inFlight = inFlight.then(tick).catch((error: unknown) => {
      logger.debug({ pipeline, err: error }, 'runtime report failed');
    });
  }, REPORT_EVERY_MS);
  timer.unref();
  inFlight = tick().catch((error: unknown) =>
    logger.debug({ pipeline, err: error }, 'runtime report failed'),
  );

  return {
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await inFlight;
      syncMetrics.lagSeconds.set({ pipeline }, 0);
      syncMetrics.eventsPerSecond.set({ pipeline }, 0);
      // Not running any more: no rate, and a handled stop request is done.
      await pool
        .query(
          `UPDATE ${table} SET reported_at = NULL, events_per_second = NULL, lag_seconds = NULL,
                  echo_skipped = NULL, stop_requested_at = NULL WHERE pipeline = $1`,
          [pipeline],
        )
        .catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
