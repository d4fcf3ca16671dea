import { Counter, Gauge, Registry } from 'prom-client';

/**
 * Prometheus metrics of every pipeline in this process, labelled by pipeline. Scrape
 * `syncMetricsRegistry.metrics()` (the facade's admin plane can merge it into its own registry).
 */
export const syncMetricsRegistry = new Registry();

export const syncMetrics = {
  eventsApplied: new Counter({
    name: 'strangler_sync_events_total',
    help: 'Change events handled by the apply side, by outcome (applied, skipped, filtered, dead-lettered).',
    labelNames: ['pipeline', 'op', 'outcome'] as const,
    registers: [syncMetricsRegistry],
  }),
  transactionsApplied: new Counter({
    name: 'strangler_sync_target_transactions_total',
    help: 'Target transactions committed (each holds one or more whole source transactions).',
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  deadLetters: new Counter({
    name: 'strangler_sync_dead_letters_total',
    help: 'Change events written to _strangler_dead_letters.',
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  errors: new Counter({
    name: 'strangler_sync_errors_total',
    help: 'Errors that stopped a pipeline or interrupted a target transaction (retried).',
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  lagBytes: new Gauge({
    name: 'strangler_sync_lag_bytes',
    help: "WAL bytes between the source's current position and the slot's confirmed position.",
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  lagSeconds: new Gauge({
    name: 'strangler_sync_lag_seconds',
    help: 'Seconds since the commit of the oldest source transaction received and not yet committed in the target (0 when caught up).',
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  eventsPerSecond: new Gauge({
    name: 'strangler_sync_events_per_second',
    help: 'Change events handled per second over the last 10 s (the rate of strangler_sync_events_total).',
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  targetReconnects: new Counter({
    name: 'strangler_sync_target_reconnects_total',
    help: 'Attempts to reconnect to the target database after a transient failure.',
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  echoTransactionsSkipped: new Counter({
    name: 'strangler_sync_echo_transactions_skipped_total',
    help: 'Source transactions the capture skipped because a pipeline listed in skipAppliedBy applied them (echo suppression).',
    labelNames: ['pipeline'] as const,
    registers: [syncMetricsRegistry],
  }),
  snapshotRows: new Counter({
    name: 'strangler_sync_snapshot_rows_total',
    help: 'Rows copied by the initial load and backfills.',
    labelNames: ['pipeline', 'table'] as const,
    registers: [syncMetricsRegistry],
  }),
};
