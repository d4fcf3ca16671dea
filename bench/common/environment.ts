/**
 * Shared by the facade and sync benchmarks: what machine and software a result was measured on,
 * how loaded the machine was, and writing one section of docs/benchmarks.md between markers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  os: string;
  /** /proc/loadavg before the run. */
  loadBefore: string;
  /** /proc/loadavg after the run (filled in at the end). */
  loadAfter: string;
  versions: Record<string, string>;
  wallClockSec: number;
}

export function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    return os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  }
}

export function packageVersion(name: string): string {
  try {
    const file = join(process.cwd(), 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** First line of `cmd args` (stdout or stderr), or null when the command is missing or fails. */
export function commandVersion(cmd: string, args: string[]): string | null {
  try {
    const out = execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5000,
    });
    return out.split('\n')[0].trim();
  } catch (err) {
    const e = err as { stderr?: string; code?: string };
    if (e.code === 'ENOENT') return null;
    const line = (e.stderr ?? '').split('\n')[0].trim();
    return line === '' ? null : line;
  }
}

/** Both output streams of `cmd args`, trimmed (e.g. `nginx -v` prints to stderr); null if missing. */
export function anyOutput(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  if (r.error !== undefined) return null;
  const out = `${r.stdout}${r.stderr}`.trim();
  return out === '' ? null : out.split('\n')[0];
}

export function machineInfo(versions: Record<string, string>): MachineInfo {
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep availableParallelism
  }
  return {
    date: new Date().toISOString(),
    nproc,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadBefore: loadavg(),
    loadAfter: '',
    versions,
    wallClockSec: 0,
  };
}

export function machineMarkdown(m: MachineInfo): string {
  const versions = Object.entries(m.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `- Date: ${m.date}; wall clock ${m.wallClockSec} s`,
    `- Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memGiB} GiB, ${m.os}, Node ${m.node}`,
    `- Versions: ${versions}`,
    `- /proc/loadavg before: \`${m.loadBefore}\`, after: \`${m.loadAfter}\``,
  ].join('\n');
}

/**
 * Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in `file` (appending
 * the section when the markers are absent), so each benchmark rewrites only its own part.
 */
export function writeSection(file: string, name: string, body: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${body.trimEnd()}\n${end}`;
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = previous.indexOf(begin);
  const j = previous.indexOf(end);
  const next =
    i >= 0 && j > i
      ? previous.slice(0, i) + block + previous.slice(j + end.length)
      : `${previous.trimEnd()}\n\n${block}\n`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, next);
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentileOf(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export function fmt(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return n.toFixed(digits);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves `until()` true, polling every `everyMs`, or rejects after `timeoutMs`. */
export async function waitFor(
  what: string,
  until: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await until()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
