import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * Replication origins on the target: every session that writes applied changes runs
 * `pg_replication_origin_session_setup(<origin>)` first, so PostgreSQL records the origin with
 * each transaction it commits, and a pipeline reading that database the other way can recognise
 * (and skip) them: the pgoutput Origin message (docs/sync.md, "Two directions").
 *
 * Origins belong to the whole server (not one database), are created on first use and dropped by
 * `strangler-sync drop`. Each one used keeps a slot of `max_active_replication_origins` (its
 * progress) until it is dropped. One origin can be active in one session at a time: a backfill,
 * which writes while the streaming apply runs, uses a suffixed name (`suffixedOrigin`), and the
 * Kafka apply's concurrent sessions take turns at COMMIT (`commitUnderOrigin`).
 *
 * The functions are restricted to superusers unless granted: see `ORIGIN_GRANT`.
 */

/** The grant a non-superuser apply role needs (named in the error and in docs/sync.md). */
export const ORIGIN_GRANT =
  'GRANT EXECUTE ON FUNCTION pg_replication_origin_oid(text), ' +
  'pg_replication_origin_create(text), pg_replication_origin_drop(text), ' +
  'pg_replication_origin_session_setup(text), pg_replication_origin_session_reset(), ' +
  'pg_replication_origin_xact_setup(pg_lsn, timestamp with time zone) TO <apply role>';

/** The target refused a replication origin operation; the message says what to change. */
export class ReplicationOriginError extends Error {
  constructor(
    readonly origin: string,
    readonly reason: unknown,
    hint: string,
  ) {
    super(
      `replication origin ${origin} on the target: ${reason instanceof Error ? reason.message : String(reason)}. ${hint}`,
    );
    this.name = 'ReplicationOriginError';
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';
const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';
const OBJECT_IN_USE = '55006';
const NOT_IN_PREREQUISITE_STATE = '55000';
const CONFIGURATION_LIMIT_EXCEEDED = '53400';

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

function explained(origin: string, error: unknown): unknown {
  const code = codeOf(error);
  if (code === INSUFFICIENT_PRIVILEGE)
    return new ReplicationOriginError(
      origin,
      error,
      'The apply side tags the transactions it commits with a replication origin (echo ' +
        'suppression): connect as a superuser, or run on the target database ' +
        `${ORIGIN_GRANT}`,
    );
  if (code === CONFIGURATION_LIMIT_EXCEEDED)
    return new ReplicationOriginError(
      origin,
      error,
      "Every replication origin used since it was created keeps one of the server's " +
        'max_active_replication_origins slots (default 10; max_replication_slots before ' +
        'PostgreSQL 18) until it is dropped: raise the setting on the target server, or drop the ' +
        'origins of pipelines no longer used (strangler-sync drop <pipeline>)',
    );
  return error;
}

/** Creates the origin unless it exists (two sessions racing to create it are fine). */
export async function ensureOrigin(client: pg.ClientBase, origin: string): Promise<void> {
  try {
    const existing = await client.query<{ oid: number | null }>(
      'SELECT pg_replication_origin_oid($1) AS oid',
      [origin],
    );
    if (existing.rows[0]?.oid != null) return;
    await client.query('SELECT pg_replication_origin_create($1)', [origin]);
  } catch (error) {
    const code = codeOf(error);
    if (code === DUPLICATE_OBJECT || code === UNIQUE_VIOLATION) return;
    throw explained(origin, error);
  }
}

/**
 * Makes `origin` this session's replication origin (creating it if needed): every transaction
 * the session commits from now on carries it. Waits, up to `waitMs` (default 30 s), for an
 * origin still held by a session that is going away (a connection just closed or lost).
 *
 * Inside an open transaction (`savepoint` names one set just before), a failed attempt is rolled
 * back to it so the transaction survives the retry; the origin must exist already then.
 */
export async function setUpOriginSession(
  client: pg.ClientBase,
  origin: string,
  options: { waitMs?: number; logger?: Logger; pipeline?: string; savepoint?: string } = {},
): Promise<void> {
  if (!options.savepoint) await ensureOrigin(client, origin);
  const started = Date.now();
  const deadline = started + (options.waitMs ?? 30_000);
  let lastReport = 0;
  for (;;) {
    try {
      await client.query('SELECT pg_replication_origin_session_setup($1)', [origin]);
      return;
    } catch (error) {
      if (options.savepoint)
        await client.query(`ROLLBACK TO SAVEPOINT ${options.savepoint}`).catch(() => undefined);
      const inUse =
        (codeOf(error) === NOT_IN_PREREQUISITE_STATE || codeOf(error) === OBJECT_IN_USE) &&
        /already active/i.test(error instanceof Error ? error.message : '');
      if (!inUse) throw explained(origin, error);
      if (Date.now() >= deadline)
        throw new ReplicationOriginError(
          origin,
          error,
          'Another session uses this origin: is the same pipeline running elsewhere?',
        );
      if (Date.now() - lastReport >= 2000) {
        lastReport = Date.now();
        options.logger?.info(
          { pipeline: options.pipeline, origin, waitedMs: lastReport - started },
          `waiting for replication origin: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * COMMITs the transaction open in `client` under `origin` (which must exist), setting the origin
 * up just for the COMMIT and releasing it after: only the commit record's origin decides what
 * pgoutput's Origin message reports. For sessions that share one origin and take turns (the
 * Kafka apply): the caller serialises the calls.
 */
export async function commitUnderOrigin(
  client: pg.ClientBase,
  origin: string,
  options: { logger?: Logger; pipeline?: string } = {},
): Promise<void> {
  await client.query('SAVEPOINT strangler_origin');
  await setUpOriginSession(client, origin, { ...options, savepoint: 'strangler_origin' });
  try {
    await client.query('COMMIT');
  } finally {
    await resetOriginSession(client);
  }
}

/** Releases this session's origin (before handing it to another session); errors are ignored. */
export async function resetOriginSession(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_replication_origin_session_reset()').catch(() => undefined);
}

/**
 * SQL that records the source position of the transaction open in this session (its commit end
 * LSN and commit time, given as SQL expressions): `pg_replication_origin_progress(<origin>,
 * true)` then tells how far the target has applied. Run inside the transaction, before COMMIT
 * (`recordAppliedCommit` runs it in its own statement, saving a round trip per commit).
 */
export function originPositionSql(sourceLsn: string, sourceCommitTime: string): string {
  return `SELECT pg_replication_origin_xact_setup(${sourceLsn}::pg_lsn, ${sourceCommitTime}::timestamptz)`;
}

/** Origin names on the server that are `origin` or one of its suffixed forms. */
export async function listOrigins(client: pg.ClientBase, origin: string): Promise<string[]> {
  const result = await client.query<{ roname: string }>(
    `SELECT roname FROM pg_replication_origin
      WHERE roname = $1 OR starts_with(roname, $1 || ':') ORDER BY roname`,
    [origin],
  );
  return result.rows.map((r) => r.roname);
}

/** Drops `origin` and its suffixed forms; returns the names dropped. */
export async function dropOrigins(client: pg.ClientBase, origin: string): Promise<string[]> {
  const names = await listOrigins(client, origin);
  for (const name of names) {
    try {
      await client.query('SELECT pg_replication_origin_drop($1)', [name]);
    } catch (error) {
      if (codeOf(error) === NOT_IN_PREREQUISITE_STATE || codeOf(error) === OBJECT_IN_USE)
        throw new ReplicationOriginError(
          name,
          error,
          'A running pipeline still applies with it: stop the pipeline first',
        );
      throw explained(name, error);
    }
  }
  return names;
}
