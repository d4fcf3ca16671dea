/** Renders the benchmark report as markdown (docs/benchmarks/proxy-core.md). */
import type { BenchReport, FixedRateRun, Payload, TargetResult } from './run.js';

const ANALYSIS_START = '<!-- analysis:start -->';
const ANALYSIS_END = '<!-- analysis:end -->';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number | null): string => (n === null || Number.isNaN(n) ? '–' : n.toFixed(2));
const pct = (n: number): string => `${Math.round(n * 100)}%`;

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

function failures(r: { errors: number; timeouts: number; non2xx: number }): string {
  return `${r.errors} / ${r.timeouts} / ${r.non2xx}`;
}

const cores = (n: number | null): string => (n === null ? '?' : n.toFixed(2));

/** Outside load only ever adds cost, so the best round is the least disturbed estimate. */
function minProxyCpu(t: TargetResult, payload: Payload): string {
  const values = t.saturated
    .filter((r) => r.payload === payload && r.proxyCpuMicrosPerReq !== null)
    .map((r) => r.proxyCpuMicrosPerReq ?? 0);
  return values.length === 0 ? '–' : int(Math.min(...values));
}

function saturatedTable(results: TargetResult[], payload: Payload): string {
  const direct = results
    .find((t) => t.target === 'direct')
    ?.summary.find((s) => s.payload === payload);
  const rows = results.map((t) => {
    const s = t.summary.find((x) => x.payload === payload);
    if (s === undefined) return [t.target, '–'];
    return [
      `\`${t.target}\``,
      int(s.requestsPerSec),
      direct === undefined ? '–' : pct(s.requestsPerSec / direct.requestsPerSec),
      ms(s.p50),
      ms(s.p99),
      ms(s.p999),
      ms(s.max),
      failures(s),
      s.proxyCpuMicrosPerReq === null ? '–' : int(s.proxyCpuMicrosPerReq),
      minProxyCpu(t, payload),
      `${(s.bytesPerSec / 1024 / 1024).toFixed(1)}`,
      s.roundsRequestsPerSec.map(int).join(' / '),
      cores(s.foreignCores),
    ];
  });
  return table(
    [
      'target',
      'req/s',
      'vs direct',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'max ms',
      'errors / timeouts / non-2xx',
      'proxy CPU µs/req',
      'min over rounds',
      'MiB/s',
      'req/s per round',
      'outside load (cores)',
    ],
    rows,
  );
}

function fixedRateTable(results: TargetResult[], pick: (t: TargetResult) => FixedRateRun): string {
  return table(
    [
      'target',
      'achieved req/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'p99.9 ms',
      'max ms',
      'errors / timeouts / non-2xx',
      'outside load (cores)',
    ],
    results.map((t) => {
      const f = pick(t);
      return [
        `\`${t.target}\``,
        int(f.requestsPerSec),
        ms(f.latencyMs.p50),
        ms(f.latencyMs.p90),
        ms(f.latencyMs.p99),
        ms(f.latencyMs.p999),
        ms(f.latencyMs.max),
        failures(f),
        cores(f.foreignCores),
      ];
    }),
  );
}

function abortTable(results: TargetResult[]): string {
  const rows: (string | number)[][] = [];
  for (const t of results) {
    for (const a of t.aborts) {
      rows.push([
        `\`${t.target}\``,
        a.variant,
        `${a.upstreamStarted}/${a.requests}`,
        a.upstreamClosedEarly,
        a.upstreamFinished,
        a.upstreamInFlight,
        a.upstreamCloseMedianMs ?? '–',
        a.upstreamOpenConnections,
        a.proxyClientConnections ?? '–',
      ]);
    }
  }
  return table(
    [
      'target',
      'upstream endpoint',
      'reached upstream',
      'upstream saw close early',
      'upstream answered in full anyway',
      'still in flight at check',
      'median upstream lifetime of closed ms',
      'proxy→upstream conns open at check',
      'client conns proxy still holds',
    ],
    rows,
  );
}

function memoryTable(results: TargetResult[]): string {
  return table(
    [
      'target',
      'aborted requests',
      'RSS before MiB',
      'RSS after MiB',
      'Δ RSS MiB',
      'heap before → after MiB',
    ],
    results.map((t) => {
      const m = t.memory;
      return [
        `\`${t.target}\``,
        m.totalAborts,
        m.rssBeforeMiB,
        m.rssAfterMiB,
        (m.rssAfterMiB - m.rssBeforeMiB).toFixed(1),
        `${m.heapBeforeMiB} → ${m.heapAfterMiB}`,
      ];
    }),
  );
}

function keepAnalysis(previous: string): string {
  const start = previous.indexOf(ANALYSIS_START);
  const end = previous.indexOf(ANALYSIS_END);
  if (start >= 0 && end > start) return previous.slice(start, end + ANALYSIS_END.length);
  return `${ANALYSIS_START}\n_No analysis written yet._\n${ANALYSIS_END}`;
}

export function renderMarkdown(report: BenchReport, previous: string, jsonPath: string): string {
  const { environment: env, settings: s, results } = report;
  const insane = results.filter((r) => !r.sanity.ok);
  return `# Proxy core benchmark

Which HTTP client should sit at the core of the strangler facade's reverse proxy?
Generated by \`bench/proxy-core/run.js\` (raw numbers: \`${jsonPath}\`); the analysis
section between the markers is kept across re-runs, everything else is regenerated.

Re-run from the repo root (≈ 4–5 minutes, loopback only, stops by itself):

\`\`\`sh
npx tsc -p tsconfig.build.json && node dist/bench/proxy-core/run.js
\`\`\`

${keepAnalysis(previous)}

## Machine and settings

| | |
| --- | --- |
| date | ${env.date} |
| CPU | ${env.cpuModel}, \`nproc\` = ${env.nproc} |
| OS | ${env.os} |
| Node | ${env.node} |
| packages | ${Object.entries(env.packages)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')} |
| saturating load | autocannon, ${s.connections} connections, pipelining ${s.pipelining}; ${s.warmupSec} s warm-up per target and payload, then ${s.rounds} interleaved rounds × ${s.durationSec} s per target and payload (medians reported) |
| fixed rate | ${s.rate} req/s for ${s.rateDurationSec} s on /small, twice: autocannon \`overallRate\`, then an open-loop paced generator (${s.connections} keep-alive sockets) |
| aborts | ${s.aborts} concurrent requests per wave, each client destroyed after ${s.abortAfterMs} ms; then ${s.stormRounds} more waves for memory |
| processes | load generator, proxy and upstream are three separate Node processes${s.pinned ? ' pinned with taskset (proxy alone on CPU 1; load generator + upstream on CPU 0)' : ', not pinned (the OS schedules 3 busy processes on the available cores)'} |
| wall clock | ${env.wallClockSec} s |
${insane.length > 0 ? `\n**Sanity check failed:** ${insane.map((r) => `${r.target}: ${r.sanity.problems.join('; ')}`).join(' — ')}\n` : '\nSanity check (GET /small, GET /large byte-identical to direct; POST /echo of 256 KiB round-trips) passed for every target.\n'}
## Saturating load — ~1 KB JSON (/small)

Medians over the rounds. Latency percentiles are exact over every 2xx response
(sub-millisecond); autocannon's own 1 ms-resolution histogram is in the JSON.
"proxy CPU µs/req" is the proxy process's user+system CPU time over the run divided by
requests — the cost of the core, much less sensitive to how the scheduler split the cores
than req/s; outside load only ever adds to it, so its minimum over rounds is the least
disturbed estimate. "outside load" is the average number of cores busy with processes that are not
part of the benchmark (from \`/proc/stat\`): anything well above 0 means the machine was
shared and the run is noisy.

${saturatedTable(results, 'small')}

## Saturating load — ~64 KB JSON (/large)

${saturatedTable(results, 'large')}

## Fixed rate — ${s.rate} req/s, /small (non-saturating)

### autocannon \`overallRate\`

autocannon's limiter gives each connection a quota per second and resets it every
second, so the ${s.rate} requests go out as fast as possible at the start of each second
and the latencies below include that burst's queueing.

${fixedRateTable(results, (t) => t.fixedRate)}

### Paced (open loop, evenly spaced)

Requests are scheduled every ${(1000 / s.rate).toFixed(2)} ms regardless of responses;
latency counts from the scheduled time, so a stall shows up in every request queued
behind it (no coordinated omission).

${fixedRateTable(results, (t) => t.paced)}

## Client aborts

Each wave sends ${s.aborts} requests at once through the target and destroys every client
request ${s.abortAfterMs} ms later. \`slow-headers\` answers after 300 ms (the abort lands
before response headers); \`slow-body\` sends headers at once and then 16 KiB every 50 ms
for ~1 s (the abort lands mid-body). The upstream is checked 700 ms after it would have
finished. Ideal: every request "seen closed early", none answered in full, none in flight.
Upstream connections still open after the check are either idle pooled keep-alive sockets
(harmless, reused) or exchanges stuck mid-body.

${abortTable(results)}

### Memory after many aborts

RSS and heap measured after a forced GC, before the first abort wave and 1.5 s after the
last one (the \`direct\` row is the upstream process itself).

${memoryTable(results)}
`;
}
