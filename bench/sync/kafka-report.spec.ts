import {
  KafkaComparison,
  PathLagStep,
  SyncPath,
  compareToInProcess,
  formatRatio,
  lagRatio,
  renderKafkaMarkdown,
} from './kafka-report.js';
import type { Shape } from './workload.js';

function step(
  shape: Shape,
  path: SyncPath,
  targetRate: number,
  p50: number,
  p99: number,
  keptUp = true,
): PathLagStep {
  return {
    path,
    shape,
    targetRate,
    durationSec: 8,
    changes: targetRate * 8,
    transactions: targetRate * 0.8,
    achievedRate: targetRate,
    counts: { insert: 0, update: 0, delete: 0 },
    firstMarker: 1,
    lastMarker: 400,
    lagMs: { p50, p99, max: p99 * 2, samples: 400 },
    drainMs: keptUp ? 20 : 5000,
    keptUp,
  };
}

describe('lagRatio', () => {
  it('divides by the baseline', () => {
    expect(lagRatio(30, 1.5)).toBe(20);
  });

  it('has no ratio without a usable baseline or value', () => {
    expect(lagRatio(30, undefined)).toBeNull();
    expect(lagRatio(30, 0)).toBeNull();
    expect(lagRatio(Number.NaN, 2)).toBeNull();
    expect(lagRatio(30, Number.NaN)).toBeNull();
  });
});

describe('formatRatio', () => {
  it('rounds from 10× on and keeps one decimal below', () => {
    expect(formatRatio(123.4)).toBe('123×');
    expect(formatRatio(3.44)).toBe('3.4×');
    expect(formatRatio(null)).toBe('–');
  });
});

describe('compareToInProcess', () => {
  const steps = [
    step('wide', 'kafka-debezium', 500, 40, 400),
    step('small', 'kafka-builtin', 2000, 12, 90, false),
    step('small', 'in-process', 2000, 2, 30),
    step('small', 'kafka-debezium', 500, 60, 300),
    step('small', 'in-process', 500, 1, 20),
    step('small', 'kafka-builtin', 500, 10, 50),
    step('wide', 'in-process', 500, 4, 40),
  ];

  it('orders by shape as first seen, then rate, then path (in-process first)', () => {
    expect(compareToInProcess(steps).map((r) => `${r.shape} ${r.targetRate} ${r.path}`)).toEqual([
      'wide 500 in-process',
      'wide 500 kafka-debezium',
      'small 500 in-process',
      'small 500 kafka-builtin',
      'small 500 kafka-debezium',
      'small 2000 in-process',
      'small 2000 kafka-builtin',
    ]);
  });

  it('takes the ratios against the in-process step of the same shape and rate', () => {
    const rows = compareToInProcess(steps);
    const row = (shape: Shape, rate: number, path: SyncPath) =>
      rows.find((r) => r.shape === shape && r.targetRate === rate && r.path === path)!;
    expect(row('small', 500, 'kafka-builtin')).toMatchObject({ p50Ratio: 10, p99Ratio: 2.5 });
    expect(row('small', 500, 'kafka-debezium')).toMatchObject({ p50Ratio: 60, p99Ratio: 15 });
    expect(row('small', 2000, 'kafka-builtin')).toMatchObject({
      p50Ratio: 6,
      p99Ratio: 3,
      keptUp: false,
    });
    expect(row('wide', 500, 'kafka-debezium')).toMatchObject({ p50Ratio: 10, p99Ratio: 10 });
    expect(row('small', 500, 'in-process')).toMatchObject({ p50Ratio: 1, p99Ratio: 1 });
  });

  it('leaves the ratios empty when the in-process step is missing', () => {
    const [only] = compareToInProcess([step('small', 'kafka-builtin', 500, 10, 50)]);
    expect(only).toMatchObject({ p50Ratio: null, p99Ratio: null });
  });
});

describe('renderKafkaMarkdown', () => {
  const comparison: KafkaComparison = {
    rates: [500],
    stepDurationSec: 8,
    versions: { kafka: '4.3.0', debezium: '3.6.1.Final' },
    tierStartSec: 9.6,
    debeziumConnector: {
      name: 'bench-small',
      'database.password': '********',
      'plugin.name': 'pgoutput',
    },
    steps: [step('small', 'in-process', 500, 1, 20), step('small', 'kafka-debezium', 500, 60, 300)],
    failures: ['small, kafka-builtin: timed out'],
  };

  it('has one table row per step with the ratios, the failures and the connector settings', () => {
    const md = renderKafkaMarkdown(comparison);
    const rows = md.filter((l) => l.startsWith('| small'));
    expect(rows).toEqual([
      '| small | 500 | in-process | 500 | 1.0 | 20.0 | 40 | 20 | yes | baseline | baseline |',
      '| small | 500 | Debezium → Kafka → our apply | 500 | 60.0 | 300.0 | 600 | 20 | yes | 60× | 15× |',
    ]);
    expect(md).toContain('- **Failed**: small, kafka-builtin: timed out');
    const connector = md.find((l) => l.startsWith('Debezium connector'));
    expect(connector).toContain('`plugin.name=pgoutput`');
    expect(connector).not.toContain('password');
  });
});
