/** Spawning and talking to the benchmark's child processes (upstream, proxies, load generator). */
import { ChildProcess, fork } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcStats, isRecord } from './common.js';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  overallRate?: number;
  /** 'autocannon' (default) or 'paced' (open-loop, evenly spaced; needs overallRate). */
  mode?: 'autocannon' | 'paced';
  /**
   * Optional header sent with a value rotating over `varyHeaderKeys` (default 1000) distinct
   * keys, e.g. a user id for a sticky weighted split (bench/facade).
   */
  varyHeader?: string;
  varyHeaderKeys?: number;
}

export interface LoadResult {
  requestsPerSec: number;
  total2xx: number;
  totalRequests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  bytesPerSec: number;
  durationSec: number;
  /** Exact percentiles over every 2xx response (sub-millisecond). */
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** autocannon's own histogram (1 ms resolution, coordinated-omission corrected at fixed rate). */
  autocannonLatencyMs: { p50: number; p99: number; p999: number; max: number } | null;
  loadgenCpuMicros: number;
}

export interface Child {
  proc: ChildProcess;
  port: number;
  stats(): Promise<ProcStats>;
  stop(): Promise<void>;
}

/** Optional CPU pinning (`taskset -c <cpus>`), see run.ts --pin. */
export interface Placement {
  cpus?: string;
  /** Extra node flags for the child (e.g. `--cpu-prof`), after `--expose-gc`. */
  execArgv?: string[];
  /** Send the child's stdout to /dev/null (a server that logs to stdout, e.g. the facade). */
  quietStdout?: boolean;
}

/** A script beside this file, or an absolute path (other benchmarks' children). */
function script(name: string): string {
  if (isAbsolute(name)) return name;
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

function forkScript(name: string, args: string[], placement: Placement): ChildProcess {
  const execArgv = ['--expose-gc', ...(placement.execArgv ?? [])];
  const stdout = placement.quietStdout === true ? 'ignore' : 'inherit';
  if (placement.cpus === undefined) {
    return fork(script(name), args, { execArgv, stdio: ['ignore', stdout, 'inherit', 'ipc'] });
  }
  // fork() cannot prefix a wrapper, so run node under taskset with an IPC channel ourselves.
  return fork(script(name), args, {
    execPath: 'taskset',
    execArgv: ['-c', placement.cpus, process.execPath, ...execArgv],
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
}

/** Starts a server child (upstream.js or proxy-child.js) and waits for its port. */
export function startServerChild(
  name: string,
  args: string[],
  placement: Placement,
): Promise<Child> {
  const proc = forkScript(name, args, placement);
  let nextId = 1;
  const pending = new Map<number, (s: ProcStats) => void>();
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`${name} exited early (${code})`));
    proc.once('exit', onExit);
    proc.on('message', (msg: unknown) => {
      if (!isRecord(msg)) return;
      if (msg.type === 'ready' && typeof msg.port === 'number') {
        proc.off('exit', onExit);
        resolve({
          proc,
          port: msg.port,
          stats: () =>
            new Promise((res) => {
              const id = nextId++;
              pending.set(id, res);
              proc.send({ type: 'stats', id });
            }),
          stop: () =>
            new Promise((res) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return res();
              const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
              proc.once('exit', () => {
                clearTimeout(timer);
                res();
              });
              proc.disconnect();
            }),
        });
      } else if (msg.type === 'stats' && typeof msg.id === 'number') {
        const id = msg.id;
        pending.get(id)?.(msg as unknown as ProcStats);
        pending.delete(id);
      }
    });
  });
}

/** Runs one autocannon measurement in a separate load-generator process. */
export function runLoad(opts: LoadOptions, placement: Placement): Promise<LoadResult> {
  const proc = forkScript('loadgen.js', [JSON.stringify(opts)], placement);
  return new Promise((resolve, reject) => {
    let settled = false;
    proc.on('message', (msg: unknown) => {
      if (!isRecord(msg)) return;
      settled = true;
      if (msg.type === 'result') resolve(msg.result as LoadResult);
      else reject(new Error(`load generator failed: ${String(msg.message)}`));
    });
    proc.once('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited with ${code}`));
    });
  });
}
