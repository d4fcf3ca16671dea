/**
 * Where shadow comparisons end up: compared with the rule's compiled comparison
 * (strangler-compare), counted per route in a `DiffSummary` ("N failing of M compared", per field
 * kind and noise ratio), the mismatches kept (secrets redacted) in a bounded `MismatchStore`, per-rule totals for
 * the rollout controller, and metrics. Runs OFF the request path (the dispatcher calls it from
 * setImmediate after both answers are in).
 */
import {
  DiffSummary,
  MismatchStore,
  renderSummaryTable,
  routeKeyOf,
  type ComparisonRecord,
  type ComparisonResult,
  type MismatchStoreOptions,
  type ObservedResponse,
  type RouteKey,
  type StoredComparison,
} from '../../../strangler-compare/index.js';
import type { FacadeMetrics } from '../observability/metrics.js';
import { SecretRedactor } from '../redaction/secret-redactor.js';
import type { CompiledShadow } from '../rules/compile-rules.js';

export interface ShadowExchange {
  readonly rule: string;
  readonly pathPattern: string;
  readonly shadow: CompiledShadow;
  readonly method: string;
  readonly path: string;
  readonly requestHeaders: readonly string[];
  readonly requestBody: Buffer | null;
  readonly primary: ObservedResponse;
  readonly requestId: string;
  /** The rules' secrets at the time of the request (default: the always-secret headers). */
  readonly secrets?: SecretRedactor;
}

export interface RuleShadowCounts {
  compared: number;
  mismatched: number;
}

export class ShadowRecorder {
  readonly summary = new DiffSummary();
  readonly store: MismatchStore;
  readonly #counts = new Map<string, RuleShadowCounts>();

  constructor(
    private readonly metrics: FacadeMetrics | null,
    storeOptions: MismatchStoreOptions = {},
  ) {
    this.store = new MismatchStore({
      sampleMatchesEvery: 100,
      matchesPerRoute: 20,
      ...storeOptions,
    });
  }

  record(
    exchange: ShadowExchange,
    candidate: ObservedResponse,
    secondPrimary: ObservedResponse | undefined,
  ): ComparisonResult {
    const result = exchange.shadow.comparison.compare(exchange.primary, candidate, secondPrimary);
    const route: RouteKey = {
      rule: exchange.rule,
      method: exchange.method,
      pathPattern: exchange.pathPattern,
    };
    this.summary.record(route, result);
    // Mismatches are all kept; matches are sampled by the store (1 in `sampleMatchesEvery`),
    // so they can be exported as contract cases (`GET /shadow/cases`). Compared as sent,
    // stored redacted: no secret is kept in memory past this line.
    const secrets = exchange.secrets ?? SecretRedactor.DEFAULT;
    const record: ComparisonRecord = {
      route,
      request: {
        method: exchange.method,
        url: exchange.path,
        headers: headerRecord(exchange.requestHeaders),
        ...(exchange.requestBody !== null && { body: exchange.requestBody }),
      },
      primary: exchange.primary,
      candidate,
      ...(secondPrimary !== undefined && { secondPrimary }),
      result,
    };
    this.store.record(secrets.comparisonRecord(record));
    const counts = this.countsOf(exchange.rule);
    counts.compared += 1;
    if (!result.matches) counts.mismatched += 1;
    this.metrics?.shadowComparisons
      .labels(exchange.rule, result.matches ? 'match' : 'mismatch')
      .inc();
    return result;
  }

  /** Running totals of a rule (never reset; the rollout controller keeps its own baseline). */
  countsOf(rule: string): RuleShadowCounts {
    let counts = this.#counts.get(rule);
    if (counts === undefined) {
      counts = { compared: 0, mismatched: 0 };
      this.#counts.set(rule, counts);
    }
    return counts;
  }

  /** The admin view: per route "N failing of M compared", fields, and the text table. */
  describeSummary(): unknown {
    const snapshot = this.summary.toJSON();
    return {
      routes: snapshot.routes.map((route) => ({
        ...route,
        description: `${route.failing} failing of ${route.compared} compared`,
        noisyFields: this.summary.noisyFields(route),
      })),
      table: renderSummaryTable(snapshot),
    };
  }

  mismatches(rule: string | undefined, limit: number): StoredComparison[] {
    const all = this.store.mismatches();
    const chosen = rule === undefined ? all : all.filter((entry) => entry.route.rule === rule);
    return chosen.slice(-limit).reverse();
  }

  /** The sampled matches of a rule (or of every rule), newest first. */
  matches(rule: string | undefined, limit: number): StoredComparison[] {
    const all = this.store.matches();
    const chosen = rule === undefined ? all : all.filter((entry) => entry.route.rule === rule);
    return chosen.slice(-limit).reverse();
  }
}

function headerRecord(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let index = 0; index + 1 < list.length; index += 2) {
    const name = list[index].toLowerCase();
    const value = list[index + 1];
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

export { routeKeyOf };
