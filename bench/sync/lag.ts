/**
 * Lag at fixed change rates, for any transport: the workload runs each rate open loop, the
 * heartbeat markers' apply times in the target give the lag, and the drain is the time from the
 * end of the writes until the pipeline has caught up (the last marker applied and, where the
 * transport has more to say, `caughtUp()`).
 */
import pg from 'pg';
import { fmt, percentileOf, waitFor } from '../common/environment.js';
import { log } from './harness.js';
import { Shape, StepResult, Workload } from './workload.js';

export interface LagStep extends StepResult {
  shape: Shape;
  lagMs: { p50: number; p99: number; max: number; samples: number };
  /** From the end of the writes until the final marker was applied (and the transport caught up). */
  drainMs: number;
  keptUp: boolean;
}

/** Kept up: the writes reached 95 % of the rate and the pipeline caught up within a second. */
export function keptUp(targetRate: number, achievedRate: number, drainMs: number): boolean {
  return achievedRate >= 0.95 * targetRate && drainMs < 1000;
}

export async function markerApplied(target: pg.Client, id: number): Promise<boolean> {
  const r = await target.query('SELECT 1 FROM bench_marker WHERE id = $1', [id]);
  return r.rowCount === 1;
}

export async function lagOf(
  target: pg.Client,
  from: number,
  to: number,
): Promise<LagStep['lagMs']> {
  const r = await target.query<{ ms: number }>(
    `SELECT extract(epoch FROM applied_at - sent_at) * 1000 AS ms FROM bench_marker
      WHERE id BETWEEN $1 AND $2 ORDER BY 1`,
    [from, to],
  );
  const ms = r.rows.map((x) => Number(x.ms));
  return {
    p50: percentileOf(ms, 50),
    p99: percentileOf(ms, 99),
    max: ms.length > 0 ? ms[ms.length - 1] : Number.NaN,
    samples: ms.length,
  };
}

export interface LagTarget {
  shape: Shape;
  workload: Workload;
  target: pg.Client;
  /** Throws (ends the wait) when the pipeline process has failed. */
  failed: () => string | null;
  /**
   * Beyond the last marker: has everything written reached the target? (On Kafka the marker
   * table has its own topic, so its marker says nothing about the other table's topic.)
   */
  caughtUp?: () => Promise<boolean>;
}

/** Waits until marker `id` is in the target and the transport has caught up. */
export async function waitCaughtUp(t: LagTarget, id: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const check = async (probe: () => Promise<boolean>): Promise<boolean> => {
    const failed = t.failed();
    if (failed !== null) throw new Error(failed);
    return probe();
  };
  await waitFor(
    `marker ${id} in the target`,
    () => check(() => markerApplied(t.target, id)),
    timeoutMs,
    20,
  );
  const caughtUp = t.caughtUp;
  if (caughtUp !== undefined)
    await waitFor(
      'the transport to catch up',
      () => check(caughtUp),
      Math.max(1000, deadline - Date.now()),
      20,
    );
}

export interface LagSettings {
  rates: number[];
  stepDurationSec: number;
  markerEveryMs: number;
}

/** Each rate in turn; `label` prefixes the progress lines. */
export async function runLagSteps(t: LagTarget, s: LagSettings, label: string): Promise<LagStep[]> {
  const steps: LagStep[] = [];
  for (const rate of s.rates) {
    const step = await t.workload.run(rate, s.stepDurationSec, s.markerEveryMs);
    const wroteAt = performance.now();
    let drainMs = Number.NaN;
    try {
      await waitCaughtUp(t, step.lastMarker, 60_000);
      drainMs = performance.now() - wroteAt;
    } catch (err) {
      log(`${label} ${rate}/s: ${(err as Error).message}`);
    }
    const l = await lagOf(t.target, step.firstMarker, step.lastMarker);
    steps.push({
      ...step,
      shape: t.shape,
      lagMs: l,
      drainMs,
      keptUp: keptUp(rate, step.achievedRate, drainMs),
    });
    log(
      `${label} ${rate}/s: wrote ${Math.round(step.achievedRate)}/s, lag p50 ${fmt(l.p50, 0)} ` +
        `p99 ${fmt(l.p99, 0)} max ${fmt(l.max, 0)} ms, drain ${fmt(drainMs, 0)} ms`,
    );
  }
  return steps;
}
