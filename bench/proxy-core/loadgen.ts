/**
 * Load generator child process: runs one measurement and sends the summary back over IPC.
 * argv[2] is a JSON LoadOptions.
 *  - mode 'autocannon' (default): autocannon, closed loop, or with `overallRate` autocannon's
 *    rate limiter (per-connection quota per second, so requests go out in bursts at the start
 *    of each second). Besides autocannon's own histogram (integer-millisecond resolution),
 *    every 2xx response time is kept so percentiles are reported with sub-ms precision.
 *  - mode 'paced': open loop, requests evenly spaced at `overallRate` over a keep-alive
 *    node:http agent of `connections` sockets; latency counts from the scheduled send time
 *    (so queueing behind a slow response is not hidden — no coordinated omission).
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { LoadOptions, LoadResult } from './children.js';

interface AutocannonResult {
  requests: { average: number; total: number; sent: number };
  latency: Record<string, number>;
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  duration: number;
}

interface AutocannonOptions {
  url: string;
  requests?: { setupRequest: (req: { headers?: Record<string, string> }) => unknown }[];
  connections: number;
  pipelining: number;
  duration: number;
  overallRate?: number;
  timeout?: number;
}

type Autocannon = (
  opts: AutocannonOptions,
  cb: (err: Error | null, result: AutocannonResult) => void,
) => EventEmitter;

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

function summarize(samples: Float64Array): LoadResult['latencyMs'] {
  const sorted = samples.sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
    mean: sum / Math.max(1, sorted.length),
  };
}

/** Headers for the next request: `varyHeader` rotating over `varyHeaderKeys` values. */
function headerRotation(opts: LoadOptions): () => Record<string, string> {
  const name = opts.varyHeader;
  if (name === undefined) return () => ({});
  const keys = Math.max(1, opts.varyHeaderKeys ?? 1000);
  let next = 0;
  return () => {
    next = (next + 1) % keys;
    return { [name]: `user-${next}` };
  };
}

function runPaced(opts: LoadOptions): Promise<LoadResult> {
  const nextHeaders = headerRotation(opts);
  const rate = opts.overallRate ?? 1000;
  const url = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.round(rate * opts.durationSec);
  const intervalMs = 1000 / rate;
  const samples = new Float64Array(total);
  const cpuStart = process.cpuUsage();
  let ok = 0;
  let settled = 0;
  let sent = 0;
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  let bytes = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const settle = (): void => {
      settled += 1;
      if (settled < total) return;
      const elapsedSec = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      agent.destroy();
      resolve({
        requestsPerSec: ok / elapsedSec,
        total2xx: ok,
        totalRequests: total,
        errors,
        timeouts,
        non2xx,
        resets: 0,
        bytesPerSec: bytes / elapsedSec,
        durationSec: elapsedSec,
        latencyMs: summarize(samples.subarray(0, ok)),
        autocannonLatencyMs: null,
        loadgenCpuMicros: cpu.user + cpu.system,
      });
    };
    const fire = (scheduledAt: number): void => {
      let done = false;
      const once = (fn: () => void) => () => {
        if (done) return;
        done = true;
        fn();
        settle();
      };
      const req = http.get(
        { host: url.hostname, port: url.port, path: url.pathname, agent, headers: nextHeaders() },
        (res) => {
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
          });
          res.on(
            'error',
            once(() => (errors += 1)),
          );
          res.on(
            'end',
            once(() => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) samples[ok++] = performance.now() - scheduledAt;
              else non2xx += 1;
            }),
          );
        },
      );
      req.setTimeout(10_000, () => {
        timeouts += 1;
        req.destroy(new Error('timeout'));
      });
      req.on(
        'error',
        once(() => (errors += 1)),
      );
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (sent < due) {
        fire(start + sent * intervalMs);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

function run(opts: LoadOptions): Promise<LoadResult> {
  if (opts.mode === 'paced') return runPaced(opts);
  let samples = new Float64Array(1 << 16);
  let count = 0;
  const cpuStart = process.cpuUsage();
  const nextHeaders = headerRotation(opts);
  const requests =
    opts.varyHeader === undefined
      ? undefined
      : [
          {
            setupRequest: (req: { headers?: Record<string, string> }) => ({
              ...req,
              headers: { ...req.headers, ...nextHeaders() },
            }),
          },
        ];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        requests,
        connections: opts.connections,
        pipelining: 1,
        duration: opts.durationSec,
        overallRate: opts.overallRate,
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err);
        const cpu = process.cpuUsage(cpuStart);
        resolve({
          requestsPerSec: result.requests.total / result.duration,
          total2xx: count,
          totalRequests: result.requests.total,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          resets: result.resets,
          bytesPerSec: result.throughput.average,
          durationSec: result.duration,
          latencyMs: summarize(samples.subarray(0, count)),
          autocannonLatencyMs: {
            p50: result.latency.p50,
            p99: result.latency.p99,
            p999: result.latency.p99_9,
            max: result.latency.max,
          },
          loadgenCpuMicros: cpu.user + cpu.system,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
      if (statusCode < 200 || statusCode > 299) return;
      if (count === samples.length) {
        const grown = new Float64Array(samples.length * 2);
        grown.set(samples);
        samples = grown;
      }
      samples[count++] = ms;
    });
  });
}

const arg = process.argv[2];
if (arg !== undefined && process.send !== undefined) {
  run(JSON.parse(arg) as LoadOptions).then(
    (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
    (err: Error) => process.send?.({ type: 'error', message: err.message }, () => process.exit(1)),
  );
}
