/**
 * The walkthrough's memory between runs (`.strangler/walkthrough-state.json` by default): the
 * steps done, in order, each with the routes.yaml text from before it (for `--undo`).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CompletedStep {
  readonly id: string;
  /** ISO time it was applied. */
  readonly at: string;
  /** Its verification passed (false: applied, verification failed; resume starts here). */
  readonly verified: boolean;
  /** The routes file's text before the step changed it (absent: it did not touch the file). */
  readonly routesBefore?: string;
}

export interface WalkthroughState {
  readonly version: 1;
  /** The routes file the steps edited. */
  readonly routesFile: string;
  readonly completed: readonly CompletedStep[];
}

export function emptyState(routesFile: string): WalkthroughState {
  return { version: 1, routesFile, completed: [] };
}

/** The state in `file`, or an empty one when there is none (or it is about another routes file). */
export async function readState(file: string, routesFile: string): Promise<WalkthroughState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return emptyState(routesFile);
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<WalkthroughState>;
  if (parsed.version !== 1 || !Array.isArray(parsed.completed)) {
    throw new Error(`${file}: not a walkthrough state file (delete it to start over)`);
  }
  if (parsed.routesFile !== routesFile) return emptyState(routesFile);
  return { version: 1, routesFile, completed: parsed.completed };
}

export async function writeState(file: string, state: WalkthroughState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state, null, 2) + '\n', 'utf8');
  await rename(temp, file);
}

/** `state` with `step` recorded as done (replacing an earlier record of it). */
export function withCompleted(state: WalkthroughState, step: CompletedStep): WalkthroughState {
  return { ...state, completed: [...state.completed.filter((s) => s.id !== step.id), step] };
}

/** `state` without its last completed step. */
export function withoutLast(state: WalkthroughState): WalkthroughState {
  return { ...state, completed: state.completed.slice(0, -1) };
}
