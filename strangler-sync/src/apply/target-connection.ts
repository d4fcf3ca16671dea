import pg from 'pg';
import type { Logger } from 'pino';
import { syncMetrics } from '../metrics.js';
import { isTransient } from './change-applier.js';
import { resetOriginSession, setUpOriginSession } from './replication-origin.js';

export interface TargetRetryOptions {
  /** First pause before reconnecting (default 100 ms); doubled after each failed attempt. */
  initialDelayMs?: number;
  /** Longest pause between attempts (default 2 s). */
  maxDelayMs?: number;
  /**
   * How long one outage may last before the batch gives up and the pipeline fails (default
   * 30 s). Keep it below the source's `wal_sender_timeout` (60 s by default): the replication
   * connection is not answered while the apply side waits.
   */
  giveUpAfterMs?: number;
}

/** The target database stayed unreachable for longer than the retry budget. */
export class TargetUnavailableError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `target database unreachable for ${Math.round(waitedMs / 1000)} s (${attempts} attempts): ` +
        `${lastError instanceof Error ? lastError.message : String(lastError)}. The pipeline stops; ` +
        'a restart resumes from the last applied source transaction.',
    );
    this.name = 'TargetUnavailableError';
  }
}

/**
 * The apply side's connection to the target database, replaced by a new one after a transient
 * failure (server restart, connection refused or terminated, 57P01 admin shutdown, 08xxx).
 * `reconnect` retries with exponential backoff and jitter until a connection works or the
 * outage has lasted `giveUpAfterMs`. The caller (TargetBatch) then re-applies the events of its
 * interrupted transaction: row versions make that safe even if the lost COMMIT went through.
 */
export class TargetConnection {
  private current: pg.Client | null = null;
  private readonly retry: Required<TargetRetryOptions>;

  constructor(
    private readonly url: string,
    private readonly options: {
      logger?: Logger;
      pipeline?: string;
      retry?: TargetRetryOptions;
      /**
       * Replication origin every session of this connection writes under (set up again after
       * each reconnect; the lost session released it when its server process ended).
       */
      origin?: string;
    },
  ) {
    this.retry = {
      initialDelayMs: options.retry?.initialDelayMs ?? 100,
      maxDelayMs: options.retry?.maxDelayMs ?? 2000,
      giveUpAfterMs: options.retry?.giveUpAfterMs ?? 30_000,
    };
  }

  /** The live client (throws before `connect`). */
  get client(): pg.Client {
    if (!this.current) throw new Error('target connection is not open');
    return this.current;
  }

  async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    // A server shutting down while the client is idle ends the connection with an 'error'
    // event; without a listener that would crash the process. The next query fails and the
    // batch reconnects.
    client.on('error', (error) =>
      this.options.logger?.warn(
        { pipeline: this.options.pipeline, err: error },
        'target connection lost',
      ),
    );
    try {
      await client.connect();
      await client.query(`SET TIME ZONE 'UTC'`);
      if (this.options.origin)
        await setUpOriginSession(client, this.options.origin, {
          logger: this.options.logger,
          pipeline: this.options.pipeline,
        });
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.current = client;
  }

  /** Replaces the connection after `cause` (a transient error); throws once `deadline` passes. */
  async reconnect(cause: unknown, startedAt = Date.now()): Promise<void> {
    const deadline = startedAt + this.retry.giveUpAfterMs;
    const old = this.current;
    this.current = null;
    await old?.end().catch(() => undefined);
    let delay = this.retry.initialDelayMs;
    let last = cause;
    for (let attempt = 1; ; attempt += 1) {
      // Full jitter keeps several pipelines from reconnecting in lockstep.
      const pause = Math.min(delay, Math.max(0, deadline - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, pause / 2 + (Math.random() * pause) / 2));
      syncMetrics.targetReconnects.inc({ pipeline: this.options.pipeline ?? '' });
      try {
        await this.connect();
        this.options.logger?.info(
          { pipeline: this.options.pipeline, attempt, waitedMs: Date.now() - startedAt },
          'target connection restored',
        );
        return;
      } catch (error) {
        if (!isTransient(error)) throw error;
        last = error;
        this.options.logger?.warn(
          { pipeline: this.options.pipeline, attempt, err: error },
          'target database unreachable, retrying',
        );
      }
      if (Date.now() >= deadline)
        throw new TargetUnavailableError(Date.now() - startedAt, attempt, last);
      delay = Math.min(delay * 2, this.retry.maxDelayMs);
    }
  }

  async end(): Promise<void> {
    const client = this.current;
    this.current = null;
    if (client && this.options.origin) await resetOriginSession(client);
    await client?.end();
  }
}
