/**
 * wrk as the closed-loop load generator for the facade benchmark's max-throughput rounds (much
 * less CPU per request than autocannon, so on a small machine the proxies, not the load
 * generator, set the ceiling). A Lua script rotates the sticky header over `keys` values and
 * prints p50/p99/p99.9 (µs) as JSON at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from '../proxy-core/children.js';

export function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (r.error !== undefined) return null;
  const line = `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
  const m = line.match(/wrk\s+(\S+)/);
  return m === null ? (line === '' ? null : line) : m[1];
}

export function writeWrkScript(dir: string, header: string, keys: number): string {
  const file = join(dir, 'bench.lua');
  writeFileSync(
    file,
    `
local n = 0
request = function()
  n = (n + 1) % ${keys}
  return wrk.format(nil, nil, { ["${header}"] = "user-" .. n })
end
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%f,"p90":%f,"p99":%f,"p999":%f,"max":%f,"mean":%f}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
`,
  );
  return file;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** One wrk run (1 thread); resolves with the same shape as the autocannon load generator. */
export function runWrk(
  url: string,
  connections: number,
  durationSec: number,
  script: string,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      'wrk',
      ['-t1', `-c${connections}`, `-d${durationSec}s`, '--timeout', '10s', '-s', script, url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), (durationSec + 30) * 1000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk failed (${code}): ${out.slice(-500)}`));
        return;
      }
      const j = JSON.parse(line.slice(8)) as WrkJson;
      const sec = j.duration_us / 1e6;
      const ms = (us: number): number => us / 1000;
      resolve({
        requestsPerSec: j.requests / sec,
        total2xx: j.requests - j.status,
        totalRequests: j.requests,
        errors: j.connect + j.read + j.write,
        timeouts: j.timeout,
        non2xx: j.status,
        resets: 0,
        bytesPerSec: j.bytes / sec,
        durationSec: sec,
        latencyMs: {
          p50: ms(j.p50),
          p90: ms(j.p90),
          p99: ms(j.p99),
          p999: ms(j.p999),
          max: ms(j.max),
          mean: ms(j.mean),
        },
        autocannonLatencyMs: null,
        // wrk runs outside Node: its CPU is not measured here.
        loadgenCpuMicros: 0,
      });
    });
    proc.once('error', reject);
  });
}
