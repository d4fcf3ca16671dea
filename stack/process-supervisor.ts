import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface SupervisedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

export interface SpawnOptions {
  name: string;
  /** Node script to run (a compiled entry point). */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Where each prefixed output line goes. */
  write: (line: string) => void;
}

const COLOURS = [36, 35, 33, 32, 34, 31];
let nextColour = 0;

/**
 * Starts a Node process whose stdout and stderr lines are written with a coloured
 * `[name]` prefix, so several services can share one terminal readably.
 */
export function spawnNodeProcess(options: SpawnOptions): SupervisedProcess {
  const colour = COLOURS[nextColour++ % COLOURS.length] ?? 36;
  const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
  const prefix = useColour ? `\u001b[${colour}m[${options.name}]\u001b[0m ` : `[${options.name}] `;
  const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => options.write(prefix + line));
  }
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { name: options.name, child, exited };
}

/** Asks a process to stop (SIGTERM) and kills it if it is still running after `graceMs`. */
export async function stopProcess(proc: SupervisedProcess, graceMs = 5000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}
