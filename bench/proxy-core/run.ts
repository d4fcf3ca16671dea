/**
 * Proxy-core benchmark orchestrator. Build, then from the repo root:
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/proxy-core/run.js
 *
 * Options: --rounds <n> (3) --duration <s> (4, per round) --warmup <s> (2) --connections <n> (50)
 *          --rate <req/s> (2000) --rate-duration <s> (4) --aborts <n> (200) --storm-rounds <n> (3)
 *          --only <a,b> (subset of direct,http-proxy,node-http,undici-request,undici-stream,
 *                        plus the extra variant node-http-pipeline)
 *          --pin (taskset: proxy alone on CPU 1; load generator + upstream on CPU 0)
 *          --json <path> (bench/proxy-core/results/proxy-core.json)
 *          --md <path> (docs/benchmarks/proxy-core.md)
 *          --render-only (rewrite --md from an existing --json, no measurement)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { AbortWaveResult, abortStorm, abortWave } from './aborts.js';
import {
  Child,
  LoadOptions,
  LoadResult,
  Placement,
  runLoad,
  startServerChild,
} from './children.js';
import { ALL_CORE_NAMES, CORE_NAMES, TargetName, sleep } from './common.js';
import { renderMarkdown } from './report.js';

export interface Settings {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  pipelining: 1;
  rate: number;
  rateDurationSec: number;
  aborts: number;
  abortAfterMs: number;
  stormRounds: number;
  pinned: boolean;
}

export type Payload = 'small' | 'large';

export interface SaturatedRun extends LoadResult {
  payload: Payload;
  round: number;
  /** CPU time the proxy process spent per completed request (µs); null for direct. */
  proxyCpuMicrosPerReq: number | null;
  upstreamCpuMicrosPerReq: number;
  loadgenCpuMicrosPerReq: number;
  /** Average CPU cores used by processes outside the benchmark during the run (noise). */
  foreignCores: number | null;
}

export interface SaturatedSummary {
  payload: Payload;
  /** Medians over rounds. */
  requestsPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  proxyCpuMicrosPerReq: number | null;
  loadgenCpuMicrosPerReq: number;
  bytesPerSec: number;
  foreignCores: number | null;
  roundsRequestsPerSec: number[];
}

export interface FixedRateRun extends LoadResult {
  foreignCores: number | null;
}

export interface TargetResult {
  target: TargetName;
  sanity: { ok: boolean; problems: string[] };
  saturated: SaturatedRun[];
  summary: SaturatedSummary[];
  /** autocannon overallRate (per-second bursts). */
  fixedRate: FixedRateRun;
  /** Open-loop, evenly spaced requests at the same rate. */
  paced: FixedRateRun;
  aborts: AbortWaveResult[];
  memory: {
    totalAborts: number;
    rssBeforeMiB: number;
    rssAfterMiB: number;
    heapBeforeMiB: number;
    heapAfterMiB: number;
  };
}

export interface Environment {
  date: string;
  nproc: number;
  cpuModel: string;
  node: string;
  os: string;
  packages: Record<string, string>;
  wallClockSec: number;
}

export interface BenchReport {
  environment: Environment;
  settings: Settings;
  results: TargetResult[];
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

function packageVersion(name: string): string {
  try {
    const file = join(process.cwd(), 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function nproc(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return os.availableParallelism();
  }
}

function fetchBuffer(port: number, path: string, body?: Buffer): Promise<[number, Buffer]> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        agent: false,
        headers: {
          'content-type': 'application/octet-stream',
          // A hop-by-hop header nominated via Connection must not reach the upstream.
          connection: 'keep-alive, x-hop',
          'x-hop': '1',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve([res.statusCode ?? 0, Buffer.concat(chunks)]));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function sanityCheck(port: number, upstreamPort: number): Promise<TargetResult['sanity']> {
  const problems: string[] = [];
  for (const path of ['/small', '/large']) {
    const [[s1, viaTarget], [, direct]] = await Promise.all([
      fetchBuffer(port, path),
      fetchBuffer(upstreamPort, path),
    ]);
    if (s1 !== 200 || !viaTarget.equals(direct)) problems.push(`GET ${path}: ${s1}`);
  }
  const payload = randomBytes(256 * 1024);
  const [s2, echoed] = await fetchBuffer(port, '/echo', payload);
  if (s2 !== 200 || !echoed.equals(payload)) problems.push(`POST /echo: ${s2}, ${echoed.length} B`);
  return { ok: problems.length === 0, problems };
}

let clockTicks = 100;

/** Busy CPU time of the whole machine (all processes), µs, from /proc/stat. */
function machineBusyMicros(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
    return (busy * 1e6) / clockTicks;
  } catch {
    return null;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Running {
  target: TargetName;
  child: Child;
  proxied: boolean;
}

/** One load run with CPU accounting for proxy, upstream, load generator and everything else. */
async function measured(
  run: Running,
  upstream: Child,
  opts: LoadOptions,
  loadgen: Placement,
): Promise<{
  result: LoadResult;
  proxyCpu: number | null;
  upstreamCpu: number;
  foreignCores: number | null;
}> {
  const [p0, u0] = await Promise.all([run.child.stats(), upstream.stats()]);
  const m0 = machineBusyMicros();
  const t0 = performance.now();
  const result = await runLoad(opts, loadgen);
  const wallMicros = (performance.now() - t0) * 1000;
  const m1 = machineBusyMicros();
  const [p1, u1] = await Promise.all([run.child.stats(), upstream.stats()]);
  const upstreamCpu = u1.cpuMicros - u0.cpuMicros;
  const proxyCpu = run.proxied ? p1.cpuMicros - p0.cpuMicros : null;
  const ours = upstreamCpu + (proxyCpu ?? 0) + result.loadgenCpuMicros;
  const foreignCores =
    m0 === null || m1 === null ? null : Math.max(0, (m1 - m0 - ours) / wallMicros);
  return { result, proxyCpu, upstreamCpu, foreignCores };
}

function summarize(runs: SaturatedRun[], payload: Payload): SaturatedSummary {
  const mine = runs.filter((r) => r.payload === payload);
  const pick = (f: (r: SaturatedRun) => number): number => median(mine.map(f));
  const proxied = mine.every((r) => r.proxyCpuMicrosPerReq !== null);
  const noisy = mine.every((r) => r.foreignCores !== null);
  return {
    payload,
    requestsPerSec: pick((r) => r.requestsPerSec),
    p50: pick((r) => r.latencyMs.p50),
    p99: pick((r) => r.latencyMs.p99),
    p999: pick((r) => r.latencyMs.p999),
    max: Math.max(...mine.map((r) => r.latencyMs.max)),
    errors: mine.reduce((a, r) => a + r.errors, 0),
    timeouts: mine.reduce((a, r) => a + r.timeouts, 0),
    non2xx: mine.reduce((a, r) => a + r.non2xx, 0),
    proxyCpuMicrosPerReq: proxied ? pick((r) => r.proxyCpuMicrosPerReq ?? 0) : null,
    loadgenCpuMicrosPerReq: pick((r) => r.loadgenCpuMicrosPerReq),
    bytesPerSec: pick((r) => r.bytesPerSec),
    foreignCores: noisy ? pick((r) => r.foreignCores ?? 0) : null,
    roundsRequestsPerSec: mine.map((r) => Math.round(r.requestsPerSec)),
  };
}

function startTarget(target: TargetName, upstream: Child, proxy: Placement): Promise<Running> {
  if (target === 'direct') return Promise.resolve({ target, child: upstream, proxied: false });
  return startServerChild(
    'proxy-child.js',
    [target, `http://127.0.0.1:${upstream.port}`],
    proxy,
  ).then((child) => ({ target, child, proxied: true }));
}

/** Abort behaviour and memory, in a fresh proxy process so the upstream counts only its sockets. */
async function abortPhase(
  target: TargetName,
  upstream: Child,
  settings: Settings,
  proxy: Placement,
): Promise<Pick<TargetResult, 'aborts' | 'memory'>> {
  const run = await startTarget(target, upstream, proxy);
  try {
    const { aborts: n, abortAfterMs } = settings;
    // Unmeasured warm-up wave: first-use allocations must not count as growth.
    await abortStorm(run.child, 1, n, abortAfterMs);
    await sleep(500);
    const memBefore = await run.child.stats();
    const aborts: AbortWaveResult[] = [];
    for (const variant of ['slow-headers', 'slow-body'] as const) {
      aborts.push(await abortWave(run.child, upstream, variant, n, abortAfterMs, run.proxied));
    }
    const stormed = await abortStorm(run.child, settings.stormRounds, n, abortAfterMs);
    await sleep(1500);
    const memAfter = await run.child.stats();
    log(`${target} aborts seen upstream: ${aborts.map((a) => a.upstreamClosedEarly).join(', ')}`);
    return {
      aborts,
      memory: {
        totalAborts: n * aborts.length + stormed,
        rssBeforeMiB: mib(memBefore.rss),
        rssAfterMiB: mib(memAfter.rss),
        heapBeforeMiB: mib(memBefore.heapUsed),
        heapAfterMiB: mib(memAfter.heapUsed),
      },
    };
  } finally {
    if (run.proxied) await run.child.stop();
  }
}

async function measureAll(
  targets: TargetName[],
  upstream: Child,
  settings: Settings,
  place: { proxy: Placement; loadgen: Placement },
): Promise<TargetResult[]> {
  const running = await Promise.all(targets.map((t) => startTarget(t, upstream, place.proxy)));
  const payloads: Payload[] = ['small', 'large'];
  const { connections } = settings;
  const url = (r: Running, path: string): string => `http://127.0.0.1:${r.child.port}${path}`;
  const saturated = new Map<TargetName, SaturatedRun[]>(targets.map((t) => [t, []]));
  const fixed = new Map<TargetName, FixedRateRun>();
  const paced = new Map<TargetName, FixedRateRun>();
  const sanity = new Map<TargetName, TargetResult['sanity']>();
  try {
    for (const r of running) {
      sanity.set(r.target, await sanityCheck(r.child.port, upstream.port));
      for (const payload of payloads) {
        await runLoad(
          { url: url(r, `/${payload}`), connections, durationSec: settings.warmupSec },
          place.loadgen,
        );
      }
    }
    // Rounds interleave the targets so slow drifts and bursts of outside load hit all of them.
    for (let round = 1; round <= settings.rounds; round++) {
      for (const payload of payloads) {
        for (const r of running) {
          const opts = {
            url: url(r, `/${payload}`),
            connections,
            durationSec: settings.durationSec,
          };
          const m = await measured(r, upstream, opts, place.loadgen);
          const n = Math.max(1, m.result.totalRequests);
          saturated.get(r.target)?.push({
            ...m.result,
            payload,
            round,
            proxyCpuMicrosPerReq: m.proxyCpu === null ? null : m.proxyCpu / n,
            upstreamCpuMicrosPerReq: m.upstreamCpu / n,
            loadgenCpuMicrosPerReq: m.result.loadgenCpuMicros / n,
            foreignCores: m.foreignCores,
          });
          log(
            `round ${round} ${payload} ${r.target}: ${Math.round(m.result.requestsPerSec)} req/s` +
              ` (outside load ${m.foreignCores?.toFixed(2) ?? '?'} cores)`,
          );
        }
      }
    }
    for (const mode of ['autocannon', 'paced'] as const) {
      for (const r of running) {
        const opts: LoadOptions = {
          url: url(r, '/small'),
          connections,
          durationSec: settings.rateDurationSec,
          overallRate: settings.rate,
          mode,
        };
        const m = await measured(r, upstream, opts, place.loadgen);
        (mode === 'paced' ? paced : fixed).set(r.target, {
          ...m.result,
          foreignCores: m.foreignCores,
        });
        log(`${mode} ${settings.rate}/s ${r.target}: p99 ${m.result.latencyMs.p99.toFixed(2)} ms`);
      }
    }
  } finally {
    for (const r of running) if (r.proxied) await r.child.stop();
  }
  const results: TargetResult[] = [];
  for (const target of targets) {
    const runs = saturated.get(target) ?? [];
    const fixedRun = fixed.get(target);
    const pacedRun = paced.get(target);
    const s = sanity.get(target);
    if (fixedRun === undefined || pacedRun === undefined || s === undefined) {
      throw new Error(`missing results for ${target}`);
    }
    results.push({
      target,
      sanity: s,
      saturated: runs,
      summary: payloads.map((p) => summarize(runs, p)),
      fixedRate: fixedRun,
      paced: pacedRun,
      ...(await abortPhase(target, upstream, settings, place.proxy)),
    });
  }
  return results;
}

function log(line: string): void {
  process.stderr.write(`[proxy-core] ${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      rate: { type: 'string', default: '2000' },
      'rate-duration': { type: 'string', default: '4' },
      aborts: { type: 'string', default: '200' },
      'storm-rounds': { type: 'string', default: '3' },
      only: { type: 'string' },
      pin: { type: 'boolean', default: false },
      json: { type: 'string', default: 'bench/proxy-core/results/proxy-core.json' },
      md: { type: 'string', default: 'docs/benchmarks/proxy-core.md' },
      'render-only': { type: 'boolean', default: false },
    },
  });
  if (values['render-only']) {
    // Re-render the markdown from an existing JSON result (no measurement).
    const saved = JSON.parse(readFileSync(values.json, 'utf8')) as BenchReport;
    const previous = existsSync(values.md) ? readFileSync(values.md, 'utf8') : '';
    writeFileSync(values.md, renderMarkdown(saved, previous, values.json));
    log(`rendered ${values.md} from ${values.json}`);
    return;
  }
  const settings: Settings = {
    rounds: Number(values.rounds),
    durationSec: Number(values.duration),
    warmupSec: Number(values.warmup),
    connections: Number(values.connections),
    pipelining: 1,
    rate: Number(values.rate),
    rateDurationSec: Number(values['rate-duration']),
    aborts: Number(values.aborts),
    abortAfterMs: 50,
    stormRounds: Number(values['storm-rounds']),
    pinned: values.pin,
  };
  const defaults: TargetName[] = ['direct', ...CORE_NAMES];
  const known: TargetName[] = ['direct', ...ALL_CORE_NAMES];
  const targets =
    values.only === undefined
      ? defaults
      : known.filter((t) => values.only?.split(',').includes(t) === true);
  const place = settings.pinned
    ? { upstream: { cpus: '0' }, proxy: { cpus: '1' }, loadgen: { cpus: '0' } }
    : { upstream: {}, proxy: {}, loadgen: {} };

  try {
    clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  const started = Date.now();
  const upstream = await startServerChild('upstream.js', [], place.upstream);
  let results: TargetResult[];
  try {
    results = await measureAll(targets, upstream, settings, place);
  } finally {
    await upstream.stop();
  }
  const cpus = os.cpus();
  const report: BenchReport = {
    environment: {
      date: new Date(started).toISOString(),
      nproc: nproc(),
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      packages: Object.fromEntries(
        ['undici', 'http-proxy', 'autocannon', 'typescript'].map((p) => [p, packageVersion(p)]),
      ),
      wallClockSec: Math.round((Date.now() - started) / 1000),
    },
    settings,
    results,
  };
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  const previous = existsSync(values.md) ? readFileSync(values.md, 'utf8') : '';
  mkdirSync(dirname(values.md), { recursive: true });
  writeFileSync(values.md, renderMarkdown(report, previous, values.json));
  log(`done in ${report.environment.wallClockSec} s: ${values.json}, ${values.md}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
