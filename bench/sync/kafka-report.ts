/**
 * The Kafka side by side of the sync benchmark (`--with-kafka`): what it records, the ratios to
 * the in-process path, and its part of the markdown section. Pure: no I/O.
 */
import { fmt } from '../common/environment.js';
import type { LagStep } from './lag.js';
import type { Shape } from './workload.js';

/** How change events travel from the source to the target. */
export type SyncPath = 'in-process' | 'kafka-builtin' | 'kafka-debezium';

export const SYNC_PATHS: readonly SyncPath[] = ['in-process', 'kafka-builtin', 'kafka-debezium'];

export const PATH_LABELS: Record<SyncPath, string> = {
  'in-process': 'in-process',
  'kafka-builtin': 'our capture → Kafka → our apply',
  'kafka-debezium': 'Debezium → Kafka → our apply',
};

export interface PathLagStep extends LagStep {
  path: SyncPath;
}

export interface KafkaComparison {
  rates: number[];
  stepDurationSec: number;
  versions: Record<string, string>;
  /** Seconds from launching the tier (KRaft format + broker) until the broker answered. */
  tierStartSec: number;
  /** Properties of the Debezium connector (password masked). */
  debeziumConnector: Record<string, string>;
  steps: PathLagStep[];
  /** Paths that failed; the others still ran. */
  failures: string[];
}

export interface ComparisonRow {
  shape: Shape;
  targetRate: number;
  path: SyncPath;
  writtenPerSec: number;
  p50: number;
  p99: number;
  max: number;
  drainMs: number;
  keptUp: boolean;
  /** This path's lag over the in-process lag at the same shape and rate (null: no baseline). */
  p50Ratio: number | null;
  p99Ratio: number | null;
}

/** value / baseline, or null when either is missing, not finite, or the baseline is not > 0. */
export function lagRatio(value: number, baseline: number | undefined): number | null {
  if (baseline === undefined || !Number.isFinite(value) || !Number.isFinite(baseline)) return null;
  if (baseline <= 0) return null;
  return value / baseline;
}

/**
 * One row per step, ordered by shape (first seen first), rate, then path (in-process first),
 * each with its ratios to the in-process step of the same shape and rate.
 */
export function compareToInProcess(steps: PathLagStep[]): ComparisonRow[] {
  const shapes = [...new Set(steps.map((s) => s.shape))];
  const baseline = new Map<string, PathLagStep>();
  for (const s of steps) if (s.path === 'in-process') baseline.set(`${s.shape}/${s.targetRate}`, s);
  const sorted = [...steps].sort(
    (a, b) =>
      shapes.indexOf(a.shape) - shapes.indexOf(b.shape) ||
      a.targetRate - b.targetRate ||
      SYNC_PATHS.indexOf(a.path) - SYNC_PATHS.indexOf(b.path),
  );
  return sorted.map((s) => {
    const base = baseline.get(`${s.shape}/${s.targetRate}`);
    return {
      shape: s.shape,
      targetRate: s.targetRate,
      path: s.path,
      writtenPerSec: s.achievedRate,
      p50: s.lagMs.p50,
      p99: s.lagMs.p99,
      max: s.lagMs.max,
      drainMs: s.drainMs,
      keptUp: s.keptUp,
      p50Ratio: lagRatio(s.lagMs.p50, base?.lagMs.p50),
      p99Ratio: lagRatio(s.lagMs.p99, base?.lagMs.p99),
    };
  });
}

/** `12×` from 10 on, `3.4×` below, `–` without a ratio. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '–';
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${ratio.toFixed(1)}×`;
}

/** The "Kafka side by side" subsection (without a trailing blank line). */
export function renderKafkaMarkdown(k: KafkaComparison): string[] {
  const versions = Object.entries(k.versions)
    .map(([name, v]) => `${name} ${v}`)
    .join(', ');
  const lines = [
    '### Kafka side by side (`--with-kafka`)',
    '',
    `The lag workload above (same mix, transaction size, markers) at ${k.rates.join(', ')} changes/s for ` +
      `${k.stepDurationSec} s each, through three paths one after the other (the order reversed for the next row shape), each on fresh source and ` +
      'target databases: **in-process** (`strangler-sync start`, as above), **our capture → Kafka → our ' +
      'apply** (`transport: { kind: kafka, capture: builtin, format: json }`) and **Debezium → Kafka → our ' +
      'apply** (a real Debezium PostgreSQL connector in Kafka Connect standalone writes the topics; ' +
      '`capture: external`). One Kafka broker (KRaft), 1 partition per topic, everything on 127.0.0.1 ' +
      `and the same 2 cores. ${versions}; the tier's broker was ready ${fmt(k.tierStartSec, 0)} s after launch.`,
    '',
    'On the Kafka paths the marker table has its own topic, so a marker shows the latency of that ' +
      'topic only; "kept up" there also requires the apply side\'s consumer group to have committed ' +
      'every topic to its end (the data table included) within 1 s after the writes stop. Ratios are ' +
      'to the in-process lag at the same rate and row shape.',
    '',
    '| rows | changes/s | path | written/s | lag p50 ms | lag p99 ms | lag max ms | drain ms | kept up | p50 / in-process | p99 / in-process |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const r of compareToInProcess(k.steps)) {
    const baseline = r.path === 'in-process';
    lines.push(
      `| ${r.shape} | ${r.targetRate} | ${PATH_LABELS[r.path]} | ${Math.round(r.writtenPerSec)} | ` +
        `${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.max, 0)} | ${fmt(r.drainMs, 0)} | ` +
        `${r.keptUp ? 'yes' : 'no'} | ${baseline ? 'baseline' : formatRatio(r.p50Ratio)} | ` +
        `${baseline ? 'baseline' : formatRatio(r.p99Ratio)} |`,
    );
  }
  for (const f of k.failures) lines.push('', `- **Failed**: ${f}`);
  const connector = Object.entries(k.debeziumConnector)
    .filter(([key]) => !key.startsWith('database.') && key !== 'name')
    .map(([key, v]) => `\`${key}=${v}\``)
    .join(', ');
  if (connector !== '')
    lines.push('', `Debezium connector (every other property at its default): ${connector}.`);
  return lines;
}
