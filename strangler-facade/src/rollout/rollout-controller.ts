/**
 * Staged rollouts driven by the facade. For each rule whose canary has a `rollout`, the
 * controller watches the canary's traffic in the current step (requests, 5xx / failures, a
 * latency histogram for p99, and the rule's shadow mismatches) and, on each tick:
 *
 *   abort    when a threshold of `abortOn` is crossed (once the step saw enough requests):
 *            canary percent → 0 in routes.yaml, and the reason recorded;
 *   advance  when the step saw `minRequests` canary requests and lasted `minIntervalSeconds`:
 *            percent → the next step above it, written to routes.yaml;
 *   hold     otherwise.
 *
 * routes.yaml stays the truth: the controller only ever acts on the percent the loaded file
 * says, and writes through the comment-preserving editor (`rules-edit/`). A percent of 0 means
 * "not rolling out" (never started, or aborted): a rollout starts when someone sets the first
 * step, and an aborted one stays at 0 until someone sets a percent again. A percent changed
 * by someone else starts a fresh step at that percent.
 */
import type { Logger } from 'pino';

import type { FacadeMetrics } from '../observability/metrics.js';
import type { RolloutObserver } from '../proxy/proxy-server.js';
import type { ActiveRules } from '../rules/active-rules.js';
import type { RolloutConfig } from '../rules/rule-schema.js';
import type { ShadowRecorder } from '../shadow/shadow-recorder.js';

/** Upper bounds (ms) of the latency histogram used for p99 (the last bucket is open). */
const LATENCY_BOUNDS = [
  1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 400, 500, 650, 800, 1000, 1500, 2000, 3000, 5000,
  10000, 30000,
];

export type RolloutDecisionKind = 'advance' | 'abort' | 'complete' | 'write_failed';

export interface RolloutDecision {
  readonly at: string;
  readonly decision: RolloutDecisionKind;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

export interface RolloutStatus {
  readonly rule: string;
  readonly canaryUpstream: string;
  readonly percent: number;
  readonly steps: readonly number[];
  readonly state: 'idle' | 'running' | 'complete' | 'aborted';
  readonly since: string;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p99LatencyMs: number | null;
  readonly shadowCompared: number;
  readonly shadowMismatched: number;
  readonly lastDecision: RolloutDecision | null;
  readonly history: readonly RolloutDecision[];
}

interface RuleRollout {
  percent: number;
  stepStartedAt: number;
  requests: number;
  errors: number;
  latency: Uint32Array;
  shadowBase: { compared: number; mismatched: number };
  writing: boolean;
  aborted: boolean;
  completed: boolean;
  history: RolloutDecision[];
}

export interface RolloutControllerOptions {
  readonly rules: ActiveRules;
  readonly recorder: ShadowRecorder | null;
  readonly metrics: FacadeMetrics | null;
  readonly logger: Logger;
  /** Writes the new percent to routes.yaml (and reloads); rejects when it could not. */
  readonly writePercent: (rule: string, percent: number) => Promise<void>;
  readonly now?: () => number;
  /** How often decisions are made; 0 = never on a timer (call `tick()`). Default 1000. */
  readonly tickMs?: number;
}

const HISTORY = 20;

export class RolloutController implements RolloutObserver {
  readonly #states = new Map<string, RuleRollout>();
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout | null;
  #ticking: Promise<void> | null = null;

  constructor(private readonly options: RolloutControllerOptions) {
    this.#now = options.now ?? Date.now;
    const tickMs = options.tickMs ?? 1000;
    this.#timer = tickMs > 0 ? setInterval(() => void this.tick(), tickMs) : null;
    this.#timer?.unref();
  }

  observe(rule: string, canary: boolean, failed: boolean, durationMs: number): void {
    if (!canary) return;
    const state = this.#states.get(rule);
    if (state === undefined || state.writing) return;
    state.requests += 1;
    if (failed) state.errors += 1;
    let bucket = 0;
    while (bucket < LATENCY_BOUNDS.length && durationMs > LATENCY_BOUNDS[bucket]) {
      bucket += 1;
    }
    state.latency[bucket] = (state.latency[bucket] ?? 0) + 1;
  }

  /**
   * Aligns the per-rule state with the rules in service; call after every reload, so a percent
   * changed by someone else starts its step at once (and counts what comes after it).
   */
  syncWithRules(): void {
    for (const rule of this.options.rules.current.table.rules) {
      const rollout = rule.canary?.rollout;
      if (rule.canary === null || rollout == null) continue;
      this.#sync(rule.name, rule.canary.percent);
      this.options.metrics?.rolloutPercent.labels(rule.name).set(rule.canary.percent);
    }
  }

  /** One round of decisions (the timer calls this; tests may too). Never runs twice at once. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tickOnce().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
  }

  statuses(): RolloutStatus[] {
    const out: RolloutStatus[] = [];
    for (const rule of this.options.rules.current.table.rules) {
      const rollout = rule.canary?.rollout;
      if (rule.canary === null || rollout == null) continue;
      const state = this.#sync(rule.name, rule.canary.percent);
      const shadow = this.#shadowInStep(rule.name, state);
      out.push({
        rule: rule.name,
        canaryUpstream: rule.canary.upstream.name,
        percent: rule.canary.percent,
        steps: rollout.steps,
        state: state.aborted
          ? 'aborted'
          : state.completed
            ? 'complete'
            : state.percent === 0
              ? 'idle'
              : 'running',
        since: new Date(state.stepStartedAt).toISOString(),
        requests: state.requests,
        errors: state.errors,
        errorRate: state.requests === 0 ? 0 : state.errors / state.requests,
        p99LatencyMs: p99(state.latency),
        shadowCompared: shadow.compared,
        shadowMismatched: shadow.mismatched,
        lastDecision: state.history.at(-1) ?? null,
        history: [...state.history],
      });
    }
    return out;
  }

  async #tickOnce(): Promise<void> {
    const decisions: Promise<void>[] = [];
    for (const rule of this.options.rules.current.table.rules) {
      const rollout = rule.canary?.rollout;
      if (rule.canary === null || rollout == null) continue;
      this.options.metrics?.rolloutPercent.labels(rule.name).set(rule.canary.percent);
      const state = this.#sync(rule.name, rule.canary.percent);
      if (state.writing || state.percent === 0 || state.completed) continue;
      const decision = this.#decide(rule.name, state, rollout);
      if (decision !== null) decisions.push(this.#apply(rule.name, state, decision));
    }
    await Promise.all(decisions);
  }

  /** The state of `rule`, restarted when the loaded percent is not the one the step began at. */
  #sync(rule: string, percent: number): RuleRollout {
    let state = this.#states.get(rule);
    if (state === undefined) {
      state = {
        percent,
        stepStartedAt: this.#now(),
        requests: 0,
        errors: 0,
        latency: new Uint32Array(LATENCY_BOUNDS.length + 1),
        shadowBase: { compared: 0, mismatched: 0 },
        writing: false,
        aborted: false,
        completed: false,
        history: [],
      };
      this.#resetStep(rule, state, percent);
      this.#states.set(rule, state);
    } else if (state.percent !== percent && !state.writing) {
      this.#resetStep(rule, state, percent);
      if (percent !== 0) state.aborted = false;
      state.completed = false;
    }
    return state;
  }

  #resetStep(rule: string, state: RuleRollout, percent: number): void {
    state.percent = percent;
    state.stepStartedAt = this.#now();
    state.requests = 0;
    state.errors = 0;
    state.latency.fill(0);
    const counts = this.options.recorder?.countsOf(rule);
    state.shadowBase = { compared: counts?.compared ?? 0, mismatched: counts?.mismatched ?? 0 };
  }

  #shadowInStep(rule: string, state: RuleRollout): { compared: number; mismatched: number } {
    const counts = this.options.recorder?.countsOf(rule);
    if (counts === undefined) return { compared: 0, mismatched: 0 };
    return {
      compared: counts.compared - state.shadowBase.compared,
      mismatched: counts.mismatched - state.shadowBase.mismatched,
    };
  }

  #decide(
    rule: string,
    state: RuleRollout,
    rollout: RolloutConfig,
  ): { kind: RolloutDecisionKind; to: number; reason: string } | null {
    const at = `at ${state.percent}%`;
    const sample = Math.max(1, Math.min(rollout.minRequests, 20));
    const abort = rollout.abortOn;
    if (state.requests >= sample) {
      const errorRate = state.errors / state.requests;
      if (abort.errorRate !== undefined && errorRate > abort.errorRate) {
        return {
          kind: 'abort',
          to: 0,
          reason: `error rate ${round(errorRate)} > ${abort.errorRate} (${state.errors} of ${state.requests} canary requests ${at})`,
        };
      }
      const latency = p99(state.latency);
      if (abort.p99LatencyMs !== undefined && latency !== null && latency > abort.p99LatencyMs) {
        return {
          kind: 'abort',
          to: 0,
          reason: `p99 latency ${latency} ms > ${abort.p99LatencyMs} ms (${state.requests} canary requests ${at})`,
        };
      }
    }
    const shadow = this.#shadowInStep(rule, state);
    if (abort.shadowMismatchRate !== undefined && shadow.compared >= sample) {
      const rate = shadow.mismatched / shadow.compared;
      if (rate > abort.shadowMismatchRate) {
        return {
          kind: 'abort',
          to: 0,
          reason: `shadow mismatch rate ${round(rate)} > ${abort.shadowMismatchRate} (${shadow.mismatched} of ${shadow.compared} compared ${at})`,
        };
      }
    }
    const elapsed = this.#now() - state.stepStartedAt;
    if (state.requests < rollout.minRequests || elapsed < rollout.minIntervalSeconds * 1000) {
      return null;
    }
    const next = rollout.steps.find((step) => step > state.percent);
    const healthy = `${state.requests} canary requests, error rate ${round(state.requests === 0 ? 0 : state.errors / state.requests)}, p99 ${p99(state.latency) ?? '-'} ms, ${shadow.mismatched} of ${shadow.compared} shadow mismatches over ${Math.round(elapsed / 1000)} s ${at}`;
    if (next === undefined) return { kind: 'complete', to: state.percent, reason: healthy };
    return { kind: 'advance', to: next, reason: healthy };
  }

  async #apply(
    rule: string,
    state: RuleRollout,
    decision: { kind: RolloutDecisionKind; to: number; reason: string },
  ): Promise<void> {
    const from = state.percent;
    const record = (kind: RolloutDecisionKind, to: number, reason: string): void => {
      const entry = { at: new Date(this.#now()).toISOString(), decision: kind, from, to, reason };
      state.history.push(entry);
      if (state.history.length > HISTORY) state.history.shift();
      this.options.metrics?.rolloutDecisions.labels(rule, kind).inc();
      const log = kind === 'advance' || kind === 'complete' ? 'info' : 'warn';
      this.options.logger[log](
        { rule, ...entry },
        `rollout ${rule}: ${kind} ${from}% → ${to}%: ${reason}`,
      );
    };
    if (decision.kind === 'complete') {
      state.completed = true;
      record('complete', from, decision.reason);
      return;
    }
    state.writing = true;
    try {
      await this.options.writePercent(rule, decision.to);
      record(decision.kind, decision.to, decision.reason);
      this.#resetStep(rule, state, decision.to);
      if (decision.kind === 'abort') state.aborted = true;
    } catch (error) {
      record(
        'write_failed',
        from,
        `${decision.kind} to ${decision.to}% not written: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      state.writing = false;
    }
  }
}

/** Upper bound of the bucket holding the 99th percentile, or null without samples. */
export function p99(latency: Uint32Array): number | null {
  let total = 0;
  for (const count of latency) total += count;
  if (total === 0) return null;
  const rank = Math.ceil(total * 0.99);
  let seen = 0;
  for (let bucket = 0; bucket < latency.length; bucket += 1) {
    seen += latency[bucket] ?? 0;
    if (seen >= rank) return LATENCY_BOUNDS[bucket] ?? Infinity;
  }
  return null;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
