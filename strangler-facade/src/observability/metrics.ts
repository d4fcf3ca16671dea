/**
 * The facade's Prometheus metrics, on a registry of its own (several facades can share a process,
 * as the e2e tests do). Label sets are bounded: rule and upstream names come from routes.yaml,
 * statuses are classes (`2xx`...`5xx`, `error` when no response came), reasons are enums.
 * Hot-path series are looked up through small per-(rule, upstream) caches: no string building per
 * request.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { CircuitState } from '../resilience/circuit-breaker.js';

export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = {
  closed: 0,
  open: 1,
  'half-open': 2,
};

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function statusClass(status: number): string {
  return status >= 100 && status < 600
    ? (STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'error')
    : 'error';
}

interface RouteSeries {
  readonly byClass: Map<string, Counter.Internal>;
  readonly duration: Histogram.Internal<'rule' | 'upstream'>;
}

export class FacadeMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'rule' | 'upstream' | 'status'>;
  readonly duration: Histogram<'rule' | 'upstream'>;
  readonly upstreamErrors: Counter<'rule' | 'upstream' | 'kind'>;
  readonly fallbacks: Counter<'rule' | 'from' | 'to' | 'reason'>;
  readonly retriesRefused: Counter<'rule' | 'reason'>;
  readonly circuitState: Gauge<'upstream'>;
  readonly circuitTransitions: Counter<'upstream' | 'to'>;
  readonly shadowComparisons: Counter<'rule' | 'result'>;
  readonly shadowSkipped: Counter<'rule' | 'reason'>;
  readonly reloads: Counter<'outcome'>;
  readonly rulesVersion: Gauge;
  readonly rolloutPercent: Gauge<'rule'>;
  readonly rolloutDecisions: Counter<'rule' | 'decision'>;
  readonly limitRefusals: Counter<'reason'>;
  readonly upgrades: Counter<'rule' | 'upstream' | 'outcome'>;
  readonly tunnelsOpen: Gauge<'rule' | 'upstream'>;
  readonly tunnelsClosed: Counter<'rule' | 'upstream' | 'reason'>;
  readonly #series = new Map<string, Map<string, RouteSeries>>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'strangler_requests_total',
      help: 'Client requests answered, by rule, upstream that answered, and status class',
      labelNames: ['rule', 'upstream', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'strangler_request_duration_seconds',
      help: 'Time from request to the end of the response, by rule and upstream',
      labelNames: ['rule', 'upstream'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'strangler_upstream_errors_total',
      help: 'Upstream failures: connect, timeout, reset, status (5xx), circuit-open',
      labelNames: ['rule', 'upstream', 'kind'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'strangler_fallbacks_total',
      help: 'Requests retried on the fallback upstream, by reason',
      labelNames: ['rule', 'from', 'to', 'reason'],
      registers,
    });
    this.retriesRefused = new Counter({
      name: 'strangler_fallbacks_refused_total',
      help: 'Failures NOT retried: budget spent, not idempotent, body already sent, not configured',
      labelNames: ['rule', 'reason'],
      registers,
    });
    this.circuitState = new Gauge({
      name: 'strangler_circuit_state',
      help: 'Circuit breaker state per upstream: 0 closed, 1 open, 2 half-open',
      labelNames: ['upstream'],
      registers,
    });
    this.circuitTransitions = new Counter({
      name: 'strangler_circuit_transitions_total',
      help: 'Circuit breaker state changes, by the state entered',
      labelNames: ['upstream', 'to'],
      registers,
    });
    this.shadowComparisons = new Counter({
      name: 'strangler_shadow_comparisons_total',
      help: 'Shadow responses compared with the primary, by result (match, mismatch)',
      labelNames: ['rule', 'result'],
      registers,
    });
    this.shadowSkipped = new Counter({
      name: 'strangler_shadow_skipped_total',
      help: 'Shadow copies not compared: queue_full, body_too_large, response_too_large, candidate_error, primary_failed',
      labelNames: ['rule', 'reason'],
      registers,
    });
    this.reloads = new Counter({
      name: 'strangler_rules_reloads_total',
      help: 'routes.yaml reloads by outcome (loaded, refused)',
      labelNames: ['outcome'],
      registers,
    });
    this.rulesVersion = new Gauge({
      name: 'strangler_rules_version',
      help: 'Version number of the rules in service',
      registers,
    });
    this.rolloutPercent = new Gauge({
      name: 'strangler_rollout_canary_percent',
      help: 'Canary percent of each rule with a staged rollout',
      labelNames: ['rule'],
      registers,
    });
    this.rolloutDecisions = new Counter({
      name: 'strangler_rollout_decisions_total',
      help: 'Staged rollout decisions (advance, abort, write_failed)',
      labelNames: ['rule', 'decision'],
      registers,
    });
    this.limitRefusals = new Counter({
      name: 'strangler_limit_refusals_total',
      help: 'Requests refused by a limit (body_too_large, upstream_busy: connections and queue full)',
      labelNames: ['reason'],
      registers,
    });
    this.upgrades = new Counter({
      name: 'strangler_upgrades_total',
      help: 'Upgrade (WebSocket) requests routed, by outcome: switched (tunnel opened), refused (the upstream answered without switching), connect, timeout, reset, circuit-open, client-gone',
      labelNames: ['rule', 'upstream', 'outcome'],
      registers,
    });
    this.tunnelsOpen = new Gauge({
      name: 'strangler_tunnels_open',
      help: 'Upgraded connections (WebSocket tunnels) open now',
      labelNames: ['rule', 'upstream'],
      registers,
    });
    this.tunnelsClosed = new Counter({
      name: 'strangler_tunnels_closed_total',
      help: 'Tunnels closed, by reason: client, upstream, idle, rerouted, shutdown, error',
      labelNames: ['rule', 'upstream', 'reason'],
      registers,
    });
    if (options.defaultMetrics === true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'strangler_' });
    }
  }

  /** Counts one answered request and its duration. */
  observeRequest(rule: string, upstream: string, status: number, seconds: number): void {
    const series = this.#routeSeries(rule, upstream);
    const label = statusClass(status);
    let counter = series.byClass.get(label);
    if (counter === undefined) {
      counter = this.requests.labels(rule, upstream, label);
      series.byClass.set(label, counter);
    }
    counter.inc();
    series.duration.observe(seconds);
  }

  circuitChanged(upstream: string, state: CircuitState): void {
    this.circuitState.labels(upstream).set(CIRCUIT_STATE_VALUE[state]);
    this.circuitTransitions.labels(upstream, state).inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  #routeSeries(rule: string, upstream: string): RouteSeries {
    let byUpstream = this.#series.get(rule);
    if (byUpstream === undefined) {
      byUpstream = new Map();
      this.#series.set(rule, byUpstream);
    }
    let series = byUpstream.get(upstream);
    if (series === undefined) {
      series = { byClass: new Map(), duration: this.duration.labels(rule, upstream) };
      byUpstream.set(upstream, series);
    }
    return series;
  }
}
