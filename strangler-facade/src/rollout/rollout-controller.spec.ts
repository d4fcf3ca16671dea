import { pino } from 'pino';

import type { ActiveRules } from '../rules/active-rules.js';
import { compileRules, type CompiledRuleTable } from '../rules/compile-rules.js';
import { routesFileSchema, type RolloutConfig } from '../rules/rule-schema.js';
import type { ShadowRecorder } from '../shadow/shadow-recorder.js';
import { p99, RolloutController } from './rollout-controller.js';

function tableAt(percent: number, rollout: Partial<RolloutConfig>): CompiledRuleTable {
  const compiled = compileRules(
    routesFileSchema.parse({
      version: 1,
      upstreams: { legacy: { url: 'http://127.0.0.1:1' }, svc: { url: 'http://127.0.0.1:2' } },
      rules: [
        {
          name: 'r',
          match: { prefix: '/r' },
          upstream: 'legacy',
          canary: { upstream: 'svc', percent, rollout: { steps: [5, 50, 100], ...rollout } },
        },
      ],
      default: { upstream: 'legacy' },
    }),
  );
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.table;
}

function setup(
  rollout: Partial<RolloutConfig>,
  percent = 5,
  failWrites = false,
  shadow = { compared: 0, mismatched: 0 },
) {
  let now = 1_000_000;
  const rules = { current: { table: tableAt(percent, rollout) } };
  const written: number[] = [];
  const controller = new RolloutController({
    rules: rules as unknown as ActiveRules,
    recorder: { countsOf: () => shadow } as unknown as ShadowRecorder,
    metrics: null,
    logger: pino({ level: 'silent' }),
    tickMs: 0,
    now: () => now,
    writePercent: async (_rule, next) => {
      if (failWrites) throw new Error('disk full');
      written.push(next);
      rules.current = { table: tableAt(next, rollout) };
    },
  });
  controller.syncWithRules();
  return {
    controller,
    shadow,
    written,
    advance: (ms: number) => (now += ms),
    status: () => controller.statuses()[0],
    canary: (count: number, failed = false, ms = 10) => {
      for (let index = 0; index < count; index += 1) controller.observe('r', true, failed, ms);
    },
  };
}

describe('RolloutController', () => {
  it('holds until both minRequests and minIntervalSeconds, then advances step by step', async () => {
    const rollout = setup({ minRequests: 10, minIntervalSeconds: 60 });
    rollout.canary(10);
    await rollout.controller.tick();
    expect(rollout.written).toEqual([]); // too early
    rollout.advance(60_000);
    rollout.controller.observe('r', false, true, 5); // primary traffic does not count
    await rollout.controller.tick();
    expect(rollout.written).toEqual([50]);
    expect(rollout.status()).toMatchObject({ percent: 50, requests: 0, state: 'running' });
    rollout.canary(10);
    rollout.advance(60_000);
    await rollout.controller.tick();
    rollout.canary(10);
    rollout.advance(60_000);
    await rollout.controller.tick();
    expect(rollout.written).toEqual([50, 100]);
    expect(rollout.status()).toMatchObject({
      state: 'complete',
      lastDecision: { decision: 'complete' },
    });
  });

  it('aborts on p99 latency and records why', async () => {
    const rollout = setup({ minRequests: 50, abortOn: { p99LatencyMs: 300 } });
    rollout.canary(20, false, 10);
    await rollout.controller.tick();
    expect(rollout.written).toEqual([]);
    rollout.canary(5, false, 900);
    await rollout.controller.tick();
    expect(rollout.written).toEqual([0]);
    expect(rollout.status()?.lastDecision?.reason).toMatch(/^p99 latency 1000 ms > 300 ms/);
    expect(rollout.status()?.state).toBe('aborted');
  });

  it('aborts on the shadow mismatch rate of the step', async () => {
    // 90 of 100 mismatched BEFORE the step began: not counted against it
    const rollout = setup({ minRequests: 10, abortOn: { shadowMismatchRate: 0.1 } }, 5, false, {
      compared: 100,
      mismatched: 90,
    });
    rollout.shadow.compared += 10;
    rollout.shadow.mismatched += 1;
    await rollout.controller.tick();
    expect(rollout.written).toEqual([]);
    rollout.shadow.compared += 10;
    rollout.shadow.mismatched += 4;
    await rollout.controller.tick();
    expect(rollout.written).toEqual([0]);
    expect(rollout.status()?.lastDecision?.reason).toMatch(
      /^shadow mismatch rate 0.25 > 0.1 \(5 of 20 compared at 5%\)/,
    );
  });

  it('never starts from 0 by itself', async () => {
    const rollout = setup({ minRequests: 0, minIntervalSeconds: 0 }, 0);
    await rollout.controller.tick();
    expect(rollout.written).toEqual([]);
    expect(rollout.status()?.state).toBe('idle');
  });

  it('records a write that failed and keeps the percent', async () => {
    const rollout = setup({ minRequests: 1, minIntervalSeconds: 0 }, 5, true);
    rollout.canary(1);
    await rollout.controller.tick();
    expect(rollout.status()).toMatchObject({
      percent: 5,
      lastDecision: { decision: 'write_failed', reason: expect.stringMatching(/disk full/) },
    });
  });

  it('p99 is the upper bound of the bucket holding the 99th percentile', () => {
    const buckets = new Uint32Array(24);
    expect(p99(buckets)).toBeNull();
    buckets[3] = 99; // ≤ 10 ms
    buckets[10] = 1; // ≤ 200 ms
    expect(p99(buckets)).toBe(10);
    buckets[10] = 2;
    expect(p99(buckets)).toBe(200);
  });
});
