/**
 * `--start-stack`: the walkthrough's own copy of the example (what `npm start` runs), on free
 * ports with a temporary copy of routes.yaml, so it never touches the user's file or a running
 * stack. Stopped (PostgreSQL included) when the walkthrough ends.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { DEFAULT_AUTH_TOKEN_SECRET } from '../../legacy-monolith/src/config/legacy-config.js';
import { findFreePort } from '../../stack/free-port.js';
import { localAdminToken } from '../../strangler-facade/src/admin/admin-token-file.js';
import type { WalkthroughTarget } from './step.js';

export interface StartedStack {
  readonly target: WalkthroughTarget;
  /** Temporary folder holding the routes copy (and the walkthrough state of this run). */
  readonly directory: string;
  stop(): Promise<void>;
}

const READY = 'strangler example is up';

export async function startStack(
  repoRoot: string,
  options: {
    readonly log?: (line: string) => void;
    readonly timeoutMs?: number;
    /** Ctrl-C / SIGTERM while the stack runs: called, then the stack is stopped and we exit 130. */
    readonly onInterrupt?: () => void;
  } = {},
): Promise<StartedStack> {
  const script = path.join(repoRoot, 'dist/stack/start.js');
  if (!existsSync(script)) {
    throw new Error(
      `${path.relative(process.cwd(), script) || script} is missing: run npm run build first`,
    );
  }
  const directory = await mkdtemp(path.join(os.tmpdir(), 'strangler-walkthrough-'));
  const routesFile = path.join(directory, 'routes.yaml');
  await copyFile(path.join(repoRoot, 'routes.yaml'), routesFile);
  const ports = {
    STRANGLER_PG_PORT: await findFreePort(),
    LEGACY_PORT: await findFreePort(),
    CARDS_SERVICE_PORT: await findFreePort(),
    SEARCH_SERVICE_PORT: await findFreePort(),
    CARDS_EVENTS_PORT: await findFreePort(),
    SYNC_METRICS_PORT: await findFreePort(),
    CARDS_REVERSE_SYNC_METRICS_PORT: await findFreePort(),
    SEARCH_SYNC_METRICS_PORT: await findFreePort(),
    STRANGLER_PORT: await findFreePort(),
    STRANGLER_ADMIN_PORT: await findFreePort(),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STRANGLER_ROUTES_FILE: routesFile,
    // A throwaway database: never the one `npm start` keeps between runs.
    STRANGLER_EPHEMERAL: '1',
  };
  // The walkthrough's stack makes its own databases: ignore the user's.
  delete env.STRANGLER_PG_URL;
  delete env.LEGACY_DATABASE_URL;
  delete env.CARDS_DATABASE_URL;
  delete env.SEARCH_DATABASE_URL;
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  const secret = env.AUTH_TOKEN_SECRET || DEFAULT_AUTH_TOKEN_SECRET;

  const child = spawn(process.execPath, [script], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const ready = new Promise<void>((resolve) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        recent.push(line);
        if (recent.length > 60) recent.shift();
        options.log?.(line);
        if (line.includes(READY)) resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });

  const onSignal = (): void => {
    options.onInterrupt?.();
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stop = async (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(directory, { recursive: true, force: true });
  };

  const timeoutMs = options.timeoutMs ?? 240_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    await stop();
    throw new Error(
      `the example stack ${outcome === 'exited' ? 'exited during start-up' : `was not up within ${timeoutMs / 1000} s`}; its last output:\n` +
        recent.join('\n'),
    );
  }
  const pg = `postgres://postgres:postgres@127.0.0.1:${ports.STRANGLER_PG_PORT}`;
  return {
    directory,
    stop,
    target: {
      facadeUrl: `http://127.0.0.1:${ports.STRANGLER_PORT}`,
      adminUrl: `http://127.0.0.1:${ports.STRANGLER_ADMIN_PORT}`,
      // the stack's own: $STRANGLER_ADMIN_TOKEN, else the file it made beside the routes copy
      adminToken: localAdminToken(env, directory),
      legacyUrl: `http://127.0.0.1:${ports.LEGACY_PORT}`,
      cardsServiceUrl: `http://127.0.0.1:${ports.CARDS_SERVICE_PORT}`,
      searchServiceUrl: `http://127.0.0.1:${ports.SEARCH_SERVICE_PORT}`,
      legacyDatabaseUrl: `${pg}/legacy`,
      cardsDatabaseUrl: `${pg}/cards`,
      searchDatabaseUrl: `${pg}/search`,
      routesFile,
      authTokenSecret: secret,
    },
  };
}
