/**
 * Facade overhead benchmark: the same stub upstream reached directly, through the strangler
 * facade (plain rule, weighted canary rule, shadowing rule; each its own process) and through
 * nginx configured equivalently (proxy_pass + keep-alive upstream, split_clients, mirror), in ONE
 * run with the same load generator, so the ratios hold on a noisy machine.
 *
 *   npm run build && node dist/bench/facade/run.js
 *
 * Options: --rounds <n> (3) --duration <s> (5, per saturated round) --warmup <s> (2)
 *          --connections <n> (50) --rates <a,b> (1000,3000 req/s, open-loop paced)
 *          --rate-duration <s> (5) --only <names> (subset of the targets, in this order)
 *          --json <path> (bench/facade/results/facade.json) --md <path> (docs/benchmarks.md)
 *          --profile <dir> (run the plain-rule facade under `node --cpu-prof`, profiles in dir)
 *          --profile-variant <plain|weighted|shadow> (which facade --profile profiles; plain)
 *          --loadgen <auto|wrk|autocannon> (max-throughput rounds; auto = wrk when installed)
 *          --with-nolog (adds "facade plain no-access-log": what the per-request log line costs)
 *          --baseline <facade-child.js> (adds "facade plain baseline": the plain-rule facade of
 *            another build, e.g. a `git worktree` of an older commit built with `npx tsc -p
 *            tsconfig.build.json`: its dist/bench/facade/facade-child.js; before/after in one run)
 *          --render-only (rewrite the markdown from --json)
 * Without nginx on PATH the nginx targets are skipped with a message (install:
 * `apt-get install -y nginx-light`). Everything is on 127.0.0.1; the run stops by itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Child,
  LoadOptions,
  LoadResult,
  runLoad,
  startServerChild,
} from '../proxy-core/children.js';
import {
  MachineInfo,
  fmt,
  loadavg,
  machineInfo,
  machineMarkdown,
  median,
  packageVersion,
  writeJson,
  writeSection,
} from '../common/environment.js';
import { RunningNginx, nginxVersion, startNginx } from './nginx.js';
import { runWrk, wrkVersion, writeWrkScript } from './wrk.js';

export const VARIANTS = ['plain', 'weighted', 'shadow'] as const;
export type Variant = (typeof VARIANTS)[number];
export type Kind = 'direct' | 'facade' | 'nginx';

export interface Settings {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  rates: number[];
  rateDurationSec: number;
  stickyHeader: string;
  stickyKeys: number;
  canaryPercent: number;
  payload: string;
  /** Closed-loop generator of the max-throughput rounds (fixed rates are always paced, Node). */
  loadgen: 'wrk' | 'autocannon';
}

export interface SaturatedRound extends LoadResult {
  round: number;
  /** CPU of the proxy process(es) per completed request, µs (null for direct). */
  proxyCpuMicrosPerReq: number | null;
  upstreamCpuMicrosPerReq: number;
}

export interface TargetResult {
  name: string;
  kind: Kind;
  variant: Variant;
  sanity: string;
  rounds: SaturatedRound[];
  /** Medians over rounds. */
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number; p999: number };
  proxyCpuMicrosPerReq: number | null;
  upstreamCpuMicrosPerReq: number;
  errors: number;
  fixedRate: (LoadResult & { rate: number })[];
}

export interface FacadeReport {
  machine: MachineInfo;
  settings: Settings;
  skipped: string[];
  results: TargetResult[];
  /** The build `--baseline` pointed at (target "facade plain baseline"), when given. */
  baseline?: { script: string; commit: string | null };
}

interface Target {
  name: string;
  kind: Kind;
  variant: Variant;
  port: number;
  cpuMicros(): Promise<number | null>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

/** The commit a `--baseline` build was made from (its checkout's HEAD), or null. */
function commitOf(script: string): string | null {
  try {
    const out = execFileSync('git', ['-C', dirname(script), 'log', '-1', '--format=%h (%cs)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out.trim() === '' ? null : out.trim();
  } catch {
    return null;
  }
}

function log(line: string): void {
  process.stderr.write(`[bench:facade] ${line}\n`);
}

function routesYaml(variant: Variant, upstreamPort: number, s: Settings): string {
  const url = `http://127.0.0.1:${upstreamPort}`;
  const rule =
    variant === 'plain'
      ? ''
      : variant === 'weighted'
        ? `    canary:\n      upstream: candidate\n      percent: ${s.canaryPercent}\n      stickyBy: { header: ${s.stickyHeader} }\n`
        : `    shadow:\n      upstream: candidate\n      percent: 100\n`;
  return [
    'version: 1',
    'upstreams:',
    `  legacy: { url: ${url} }`,
    `  candidate: { url: ${url} }`,
    'rules:',
    `  - name: ${variant}`,
    '    match: { prefix: / }',
    '    upstream: legacy',
    rule.trimEnd(),
    'default:',
    '  upstream: legacy',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

function get(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<[number, Buffer]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve([res.statusCode ?? 0, Buffer.concat(chunks)]));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function sanity(t: Target, upstreamPort: number, s: Settings): Promise<string> {
  const [, expected] = await get(upstreamPort, s.payload, {});
  for (let i = 0; i < 20; i++) {
    const [status, body] = await get(t.port, s.payload, { [s.stickyHeader]: `user-${i}` });
    if (status !== 200 || !body.equals(expected)) return `FAILED: ${status}, ${body.length} B`;
  }
  return 'ok';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      rates: { type: 'string', default: '1000,3000' },
      'rate-duration': { type: 'string', default: '5' },
      only: { type: 'string' },
      json: { type: 'string', default: 'bench/facade/results/facade.json' },
      md: { type: 'string', default: 'docs/benchmarks.md' },
      profile: { type: 'string' },
      'profile-variant': { type: 'string', default: 'plain' },
      'with-nolog': { type: 'boolean', default: false },
      baseline: { type: 'string' },
      loadgen: { type: 'string', default: 'auto' },
      'render-only': { type: 'boolean', default: false },
    },
  });
  if (values['render-only']) {
    const saved = JSON.parse(readFileSync(values.json, 'utf8')) as FacadeReport;
    writeSection(values.md, 'facade', renderMarkdown(saved, values.json));
    log(`rendered ${values.md}`);
    return;
  }
  const wrk = wrkVersion();
  const wanted = values.loadgen;
  if (wanted === 'wrk' && wrk === null) throw new Error('--loadgen wrk: wrk is not installed');
  const loadgen: Settings['loadgen'] =
    wanted === 'autocannon' || (wanted === 'auto' && wrk === null) ? 'autocannon' : 'wrk';
  const settings: Settings = {
    loadgen,
    rounds: Number(values.rounds),
    durationSec: Number(values.duration),
    warmupSec: Number(values.warmup),
    connections: Number(values.connections),
    rates: values.rates.split(',').map(Number),
    rateDurationSec: Number(values['rate-duration']),
    stickyHeader: 'x-user-id',
    stickyKeys: 1000,
    canaryPercent: 50,
    payload: '/small',
  };
  const started = Date.now();
  const nginx = nginxVersion();
  const skipped: string[] = [];
  if (nginx === null) {
    const msg =
      'nginx not found on PATH: the nginx targets are skipped ' +
      '(install it with `apt-get install -y nginx-light`, or any nginx with the mirror and split_clients modules)';
    skipped.push(msg);
    log(msg);
  }
  const machine = machineInfo({
    undici: packageVersion('undici'),
    autocannon: packageVersion('autocannon'),
    nginx: nginx ?? 'not installed',
    wrk: wrk ?? 'not installed',
  });
  if (wrk === null && wanted === 'auto') {
    const msg =
      'wrk not found: the max-throughput rounds use autocannon, whose own CPU caps the ceiling on a small machine ' +
      '(install wrk with `apt-get install -y wrk`)';
    skipped.push(msg);
    log(msg);
  }
  log(`loadavg before: ${machine.loadBefore}`);

  const dir = mkdtempSync(join(os.tmpdir(), 'bench-facade-'));
  const upstream = await startServerChild(join(here, '../proxy-core/upstream.js'), [], {});
  const children: Child[] = [];
  let ng: RunningNginx | null = null;
  const targets: Target[] = [];
  const upstreamCpu = async (): Promise<number> => (await upstream.stats()).cpuMicros;
  try {
    targets.push({
      name: 'direct',
      kind: 'direct',
      variant: 'plain',
      port: upstream.port,
      cpuMicros: () => Promise.resolve(null),
    });
    for (const variant of VARIANTS) {
      const file = join(dir, `routes-${variant}.yaml`);
      writeFileSync(file, routesYaml(variant, upstream.port, settings));
      const profiling = values.profile !== undefined && variant === values['profile-variant'];
      const child = await startServerChild(join(here, 'facade-child.js'), [file, 'log'], {
        execArgv: profiling ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [],
        quietStdout: true,
      });
      children.push(child);
      targets.push({
        name: `facade ${variant}`,
        kind: 'facade',
        variant,
        port: child.port,
        cpuMicros: async () => (await child.stats()).cpuMicros,
      });
      const extras = [
        ...(values.baseline !== undefined
          ? [{ name: 'facade plain baseline', script: resolve(values.baseline), mode: 'log' }]
          : []),
        ...(values['with-nolog']
          ? [
              {
                name: 'facade plain no-access-log',
                script: join(here, 'facade-child.js'),
                mode: 'nolog',
              },
            ]
          : []),
      ];
      if (variant === 'plain') {
        for (const { name, script, mode } of extras) {
          const extra = await startServerChild(script, [file, mode], { quietStdout: true });
          children.push(extra);
          targets.push({
            name,
            kind: 'facade',
            variant,
            port: extra.port,
            cpuMicros: async () => (await extra.stats()).cpuMicros,
          });
        }
      }
    }
    if (nginx !== null) {
      ng = await startNginx(join(dir, 'nginx'), upstream.port);
      const running = ng;
      for (const variant of VARIANTS) {
        targets.push({
          name: `nginx ${variant}`,
          kind: 'nginx',
          variant,
          port: running.ports[variant],
          cpuMicros: () => Promise.resolve(running.cpuMicros()),
        });
      }
    }
    const only = values.only?.split(',');
    // --only also sets the order (e.g. to check that a difference is not an order effect).
    const chosen =
      only === undefined ? targets : only.flatMap((name) => targets.filter((t) => t.name === name));
    const script = writeWrkScript(dir, settings.stickyHeader, settings.stickyKeys);
    const results = await measure(chosen, upstream, upstreamCpu, settings, script);
    machine.wallClockSec = Math.round((Date.now() - started) / 1000);
    machine.loadAfter = loadavg();
    log(`loadavg after: ${machine.loadAfter}`);
    const report: FacadeReport = { machine, settings, skipped, results };
    if (values.baseline !== undefined) {
      const script = resolve(values.baseline);
      report.baseline = { script, commit: commitOf(script) };
    }
    writeJson(values.json, report);
    writeSection(values.md, 'facade', renderMarkdown(report, values.json));
    log(`done in ${machine.wallClockSec} s: ${values.json}, ${values.md}`);
  } finally {
    for (const c of children) await c.stop();
    await ng?.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(
  targets: Target[],
  upstream: Child,
  upstreamCpu: () => Promise<number>,
  s: Settings,
  wrkScript: string,
): Promise<TargetResult[]> {
  const url = (t: Target): string => `http://127.0.0.1:${t.port}${s.payload}`;
  const base = (t: Target): Omit<LoadOptions, 'durationSec'> => ({
    url: url(t),
    connections: s.connections,
    varyHeader: s.stickyHeader,
    varyHeaderKeys: s.stickyKeys,
  });
  const saturate = (t: Target, durationSec: number): Promise<LoadResult> =>
    s.loadgen === 'wrk'
      ? runWrk(url(t), s.connections, durationSec, wrkScript)
      : runLoad({ ...base(t), durationSec }, {});
  const out = new Map<string, TargetResult>();
  for (const t of targets) {
    const check = await sanity(t, upstream.port, s);
    log(`${t.name}: sanity ${check}`);
    out.set(t.name, {
      name: t.name,
      kind: t.kind,
      variant: t.variant,
      sanity: check,
      rounds: [],
      requestsPerSec: 0,
      latencyMs: { p50: 0, p99: 0, p999: 0 },
      proxyCpuMicrosPerReq: null,
      upstreamCpuMicrosPerReq: 0,
      errors: 0,
      fixedRate: [],
    });
    await saturate(t, s.warmupSec);
  }
  // Rounds interleave the targets, so drifts and bursts of outside load hit all of them.
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of targets) {
      const [p0, u0] = await Promise.all([t.cpuMicros(), upstreamCpu()]);
      const r = await saturate(t, s.durationSec);
      const [p1, u1] = await Promise.all([t.cpuMicros(), upstreamCpu()]);
      const n = Math.max(1, r.totalRequests);
      out.get(t.name)?.rounds.push({
        ...r,
        round,
        proxyCpuMicrosPerReq: p0 === null || p1 === null ? null : (p1 - p0) / n,
        upstreamCpuMicrosPerReq: (u1 - u0) / n,
      });
      log(`round ${round} ${t.name}: ${Math.round(r.requestsPerSec)} req/s`);
    }
  }
  for (const rate of s.rates) {
    for (const t of targets) {
      const r = await runLoad(
        { ...base(t), durationSec: s.rateDurationSec, overallRate: rate, mode: 'paced' },
        {},
      );
      out.get(t.name)?.fixedRate.push({ ...r, rate });
      log(
        `${rate}/s ${t.name}: p50 ${fmt(r.latencyMs.p50)} p99 ${fmt(r.latencyMs.p99)} ` +
          `p99.9 ${fmt(r.latencyMs.p999)} ms, errors ${r.errors + r.timeouts + r.non2xx}`,
      );
    }
  }
  for (const r of out.values()) {
    const pick = (f: (x: SaturatedRound) => number): number => median(r.rounds.map(f));
    r.requestsPerSec = pick((x) => x.requestsPerSec);
    r.latencyMs = {
      p50: pick((x) => x.latencyMs.p50),
      p99: pick((x) => x.latencyMs.p99),
      p999: pick((x) => x.latencyMs.p999),
    };
    r.proxyCpuMicrosPerReq = r.rounds.every((x) => x.proxyCpuMicrosPerReq !== null)
      ? pick((x) => x.proxyCpuMicrosPerReq ?? 0)
      : null;
    r.upstreamCpuMicrosPerReq = pick((x) => x.upstreamCpuMicrosPerReq);
    r.errors = r.rounds.reduce((a, x) => a + x.errors + x.timeouts + x.non2xx, 0);
  }
  return [...out.values()];
}

function ratio(a: number | undefined, b: number | undefined, digits = 2): string {
  if (a === undefined || b === undefined || !(b > 0)) return '–';
  return `${(a / b).toFixed(digits)}×`;
}

export function renderMarkdown(report: FacadeReport, jsonPath: string): string {
  const { machine: m, settings: s, results } = report;
  const direct = results.find((r) => r.kind === 'direct');
  const nginxOf = (v: Variant): TargetResult | undefined =>
    results.find((r) => r.kind === 'nginx' && r.variant === v);
  const lines: string[] = [];
  lines.push('## Facade overhead (`bench/facade`)', '');
  lines.push(
    `Command: \`npm run build && node dist/bench/facade/run.js\`; raw results: \`${jsonPath}\`.`,
    '',
  );
  lines.push(machineMarkdown(m));
  lines.push(
    `- Settings: ${s.rounds} interleaved rounds × ${s.durationSec} s closed-loop (${s.loadgen === 'wrk' ? 'wrk, 1 thread' : 'autocannon'}, ${s.connections} connections, ` +
      `median reported) after ${s.warmupSec} s warm-up per target; fixed rates ${s.rates.join(', ')} req/s open-loop ` +
      `(evenly spaced, latency from the scheduled send time) for ${s.rateDurationSec} s each; GET ${s.payload} (~1 KB JSON); ` +
      `header \`${s.stickyHeader}\` rotating over ${s.stickyKeys} values; weighted = ${s.canaryPercent} % sticky canary; ` +
      'shadow = 100 % of requests copied to the candidate. Upstream, facades, nginx and load generator share the machine (loopback).',
  );
  if (report.baseline !== undefined) {
    const { script, commit } = report.baseline;
    lines.push(
      `- Baseline: "facade plain baseline" is the plain-rule facade of another build, \`${script}\`` +
        (commit === null ? '' : ` (commit ${commit})`) +
        ', measured in the same interleaved rounds as "facade plain".',
    );
  }
  for (const msg of report.skipped) lines.push(`- **Skipped**: ${msg}`);
  lines.push('');
  lines.push('### Max throughput (closed loop)', '');
  lines.push(
    '| target | req/s | vs direct | vs nginx (same rule) | p50 ms | p99 ms | p99.9 ms | proxy CPU µs/req | errors | sanity |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    const ng = r.kind === 'facade' ? nginxOf(r.variant) : undefined;
    lines.push(
      `| ${r.name} | ${Math.round(r.requestsPerSec)} | ${ratio(r.requestsPerSec, direct?.requestsPerSec)} | ` +
        `${ratio(r.requestsPerSec, ng?.requestsPerSec)} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p99)} | ` +
        `${fmt(r.latencyMs.p999)} | ${fmt(r.proxyCpuMicrosPerReq, 0)} | ${r.errors} | ${r.sanity} |`,
    );
  }
  lines.push('');
  lines.push(
    'Per-round req/s: ' +
      results
        .map((r) => `${r.name} ${r.rounds.map((x) => Math.round(x.requestsPerSec)).join('/')}`)
        .join('; ') +
      '.',
    '',
  );
  for (const rate of s.rates) {
    lines.push(`### Latency at a fixed ${rate} req/s (open loop)`, '');
    lines.push(
      '| target | achieved req/s | p50 ms | p99 ms | p99.9 ms | p50 vs direct | p99 vs direct | p99 vs nginx | p99.9 vs nginx | errors |',
    );
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const at = (r: TargetResult | undefined): (LoadResult & { rate: number }) | undefined =>
      r?.fixedRate.find((f) => f.rate === rate);
    const d = at(direct);
    for (const r of results) {
      const f = at(r);
      if (f === undefined) continue;
      const ng = r.kind === 'facade' ? at(nginxOf(r.variant)) : undefined;
      lines.push(
        `| ${r.name} | ${Math.round(f.requestsPerSec)} | ${fmt(f.latencyMs.p50)} | ${fmt(f.latencyMs.p99)} | ` +
          `${fmt(f.latencyMs.p999)} | ${ratio(f.latencyMs.p50, d?.latencyMs.p50)} | ${ratio(f.latencyMs.p99, d?.latencyMs.p99)} | ` +
          `${ratio(f.latencyMs.p99, ng?.latencyMs.p99)} | ${ratio(f.latencyMs.p999, ng?.latencyMs.p999)} | ` +
          `${f.errors + f.timeouts + f.non2xx} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
