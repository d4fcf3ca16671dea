import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { useColour } from './terminal-colour.js';

export interface SupervisedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Ends the quiet start-up: lines from now on are written as they come. */
  release(): void;
  /** The last lines it printed while quiet (what to show when it fails to start). */
  recentOutput(): string[];
}

export interface SpawnOptions {
  name: string;
  /** Node script to run (a compiled entry point). */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Where each prefixed output line goes. */
  write: (line: string) => void;
  /**
   * Keep its start-up chatter (Nest's route table, copy progress) to itself until `release()`;
   * the stack prints one line per part instead, and the kept lines only if it fails.
   */
  quiet?: boolean;
}

const COLOURS = [36, 35, 33, 32, 34, 31];
const KEPT_LINES = 60;
let nextColour = 0;

/**
 * Starts a Node process whose stdout and stderr lines are written with a `[name]` prefix
 * (coloured on a terminal), so several services can share one terminal readably.
 */
export function spawnNodeProcess(options: SpawnOptions): SupervisedProcess {
  const colour = COLOURS[nextColour++ % COLOURS.length] ?? 36;
  const coloured = useColour();
  const prefix = coloured ? `\u001b[${colour}m[${options.name}]\u001b[0m ` : `[${options.name}] `;
  const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
    // Nest's logger colours its lines unless NO_COLOR is set.
    env: coloured ? options.env : { ...options.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let quiet = options.quiet ?? false;
  const kept: string[] = [];
  const onLine = (line: string) => {
    if (!quiet) return options.write(prefix + line);
    kept.push(line);
    if (kept.length > KEPT_LINES) kept.shift();
  };
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', onLine);
  }
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return {
    name: options.name,
    child,
    exited,
    release: () => {
      quiet = false;
    },
    recentOutput: () => [...kept],
  };
}

/** Asks a process to stop (SIGTERM) and kills it if it is still running after `graceMs`. */
export async function stopProcess(proc: SupervisedProcess, graceMs = 5000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}
