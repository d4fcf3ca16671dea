/**
 * In-process parallel run (Branch by Abstraction): runs the old and the new implementation of
 * one operation, hands the caller the old outcome (value or error, at the old latency) and
 * compares the two outcomes off the caller's path with strangler-compare, so mismatches land in
 * the same `DiffSummary` and `MismatchStore` as the facade's shadow comparisons.
 *
 * Framework-free; `parallel-run.module.ts` is the thin NestJS adapter.
 */
import {
  compileComparison,
  DiffSummary,
  MismatchStore,
  renderSummaryTable,
  type CompiledComparison,
  type ComparisonOptions,
  type ComparisonResult,
  type Difference,
  type DiffSummarySnapshot,
  type ObservedResponse,
  type RouteKey,
  type StoredComparison,
} from '../strangler-compare/index.js';

export interface ParallelRunOptions {
  /** Per-operation counters (route key = operation name); a new one when absent. */
  readonly summary?: DiffSummary;
  /** Recent mismatches per operation (the input is stored as the request); a new one when absent. */
  readonly store?: MismatchStore;
  /** Share of calls that also run the new implementation, 0..1 (default 1). */
  readonly sampleRate?: number;
  /** The new implementation's result is a timeout error after this long (default 5000 ms). */
  readonly timeoutMs?: number;
  /** New calls in flight at once; beyond that the new implementation is skipped (default 16). */
  readonly maxConcurrent?: number;
  /** Called after each mismatch was recorded; its errors are swallowed. */
  readonly onMismatch?: (mismatch: ParallelRunMismatch) => void;
  /** Random source for sampling, [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

export interface ParallelRunCall<T> {
  /** The current implementation: its outcome is the caller's outcome. */
  readonly old: () => T | Promise<T>;
  /** The replacement: runs concurrently, never awaited by the caller, never throws to it. */
  readonly new: () => unknown;
  /** Body rules for this operation; compiled once per operation name (the first call's win). */
  readonly compare?: ComparisonOptions;
  /** The operation's input, stored with mismatches as the "request". */
  readonly input?: unknown;
}

export interface ParallelRunMismatch {
  readonly operation: string;
  readonly input: unknown;
  readonly result: ComparisonResult;
  /** The stored entry, when the store kept it. */
  readonly stored?: StoredComparison;
}

/** Counts of one operation that the comparison summary does not show. */
export interface ParallelRunStats {
  /** Calls of `execute`. */
  calls: number;
  /** Calls where the new implementation ran. */
  started: number;
  /** Not run because `maxConcurrent` new calls were in flight. */
  skipped: number;
  /** Not run because of `sampleRate`. */
  sampledOut: number;
  /** New implementation threw or rejected (while old did not, or with a different message). */
  errors: number;
  /** New implementation did not settle within `timeoutMs`. */
  timeouts: number;
  /** Comparisons done (matches and mismatches). */
  compared: number;
  mismatches: number;
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown; readonly timedOut?: boolean };

class ParallelRunTimeout extends Error {
  constructor(ms: number) {
    super(`new implementation did not settle within ${ms} ms`);
    this.name = 'ParallelRunTimeout';
  }
}

const METHOD = 'CALL';

/** The route key under which an operation is counted and stored: `<name> CALL <name>`. */
export function operationRoute(operation: string): RouteKey {
  return { rule: operation, method: METHOD, pathPattern: operation };
}

export class ParallelRun {
  private readonly diffSummary: DiffSummary;
  private readonly store: MismatchStore;
  private readonly sampleRate: number;
  private readonly timeoutMs: number;
  private readonly maxConcurrent: number;
  private readonly onMismatch?: (mismatch: ParallelRunMismatch) => void;
  private readonly random: () => number;
  private readonly comparisons = new Map<string, CompiledComparison | Error>();
  private readonly statsByOperation = new Map<string, ParallelRunStats>();
  private readonly pending = new Set<Promise<void>>();
  private inFlight = 0;

  constructor(options: ParallelRunOptions = {}) {
    const sampleRate = options.sampleRate ?? 1;
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new RangeError(`sampleRate must be between 0 and 1, got ${sampleRate}`);
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    const maxConcurrent = options.maxConcurrent ?? 16;
    if (!(Number.isInteger(maxConcurrent) && maxConcurrent >= 0)) {
      throw new RangeError(`maxConcurrent must be a non-negative integer, got ${maxConcurrent}`);
    }
    this.diffSummary = options.summary ?? new DiffSummary();
    this.store = options.store ?? new MismatchStore();
    this.sampleRate = sampleRate;
    this.timeoutMs = timeoutMs;
    this.maxConcurrent = maxConcurrent;
    this.onMismatch = options.onMismatch;
    this.random = options.random ?? Math.random;
  }

  /**
   * Runs `old` (and, sampled and capacity permitting, `new` concurrently) and settles exactly as
   * `old` does. The comparison happens after both settled, in a later macrotask.
   */
  async execute<T>(operation: string, call: ParallelRunCall<T>): Promise<T> {
    const stats = this.statsFor(operation);
    stats.calls++;
    const oldPromise = invoke(call.old);
    const candidate = this.startCandidate(call, stats);
    let oldOutcome: Outcome;
    try {
      oldOutcome = { ok: true, value: await oldPromise };
    } catch (error) {
      oldOutcome = { ok: false, error };
    }
    if (candidate) {
      const done = candidate.then(
        (newOutcome) =>
          new Promise<void>((resolve) => {
            setImmediate(() => {
              try {
                this.compare(operation, call, oldOutcome, newOutcome, stats);
              } finally {
                resolve();
              }
            });
          }),
      );
      this.pending.add(done);
      void done.finally(() => this.pending.delete(done));
    }
    if (oldOutcome.ok) return oldOutcome.value as T;
    throw oldOutcome.error;
  }

  /** Resolves once every started new call has settled and been compared (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Per-operation comparison counters (route key = operation name). */
  summary(): DiffSummarySnapshot {
    return this.diffSummary.toJSON();
  }

  /** The `DiffSummary` results are recorded into. */
  get diffs(): DiffSummary {
    return this.diffSummary;
  }

  /** Recent mismatches of one operation (or of all), newest last. */
  mismatches(operation?: string): StoredComparison[] {
    return this.store.mismatches(operation === undefined ? undefined : operationRoute(operation));
  }

  /** Counters outside the comparison summary: skipped, sampled out, errors, timeouts. */
  stats(operation: string): ParallelRunStats {
    return { ...this.statsFor(operation) };
  }

  /** New calls currently running. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** `renderSummaryTable` plus one line of run counters per operation. */
  report(): string {
    const lines = [renderSummaryTable(this.diffSummary).trimEnd()];
    for (const [operation, s] of [...this.statsByOperation].sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      lines.push(
        `${operation}: ${s.calls} calls, ${s.started} run in parallel, ${s.skipped} skipped (concurrency), ` +
          `${s.sampledOut} sampled out, ${s.errors} new errors, ${s.timeouts} timeouts`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  private startCandidate(
    call: ParallelRunCall<unknown>,
    stats: ParallelRunStats,
  ): Promise<Outcome> | undefined {
    if (this.sampleRate < 1 && !(this.random() < this.sampleRate)) {
      stats.sampledOut++;
      return undefined;
    }
    if (this.inFlight >= this.maxConcurrent) {
      stats.skipped++;
      return undefined;
    }
    this.inFlight++;
    stats.started++;
    const running = invoke(call.new);
    void running.then(
      () => this.inFlight--,
      () => this.inFlight--,
    );
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        resolve({ ok: false, error: new ParallelRunTimeout(this.timeoutMs), timedOut: true });
      }, this.timeoutMs);
      timer.unref();
      running.then(
        (value) => {
          clearTimeout(timer);
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          clearTimeout(timer);
          resolve({ ok: false, error });
        },
      );
    });
  }

  private compare(
    operation: string,
    call: ParallelRunCall<unknown>,
    oldOutcome: Outcome,
    newOutcome: Outcome,
    stats: ParallelRunStats,
  ): void {
    const route = operationRoute(operation);
    const result = this.resultOf(operation, call, oldOutcome, newOutcome);
    if (!newOutcome.ok) {
      if (newOutcome.timedOut) stats.timeouts++;
      else if (!result.matches) stats.errors++;
    }
    stats.compared++;
    this.diffSummary.record(route, result);
    const stored = this.store.record({
      route,
      request: { method: METHOD, url: operation, body: jsonText(call.input) },
      primary: observed(oldOutcome),
      candidate: observed(newOutcome),
      result,
    });
    if (result.matches) return;
    stats.mismatches++;
    if (!this.onMismatch) return;
    try {
      this.onMismatch({ operation, input: call.input, result, stored });
    } catch {
      // A failing listener must not break the run.
    }
  }

  private resultOf(
    operation: string,
    call: ParallelRunCall<unknown>,
    oldOutcome: Outcome,
    newOutcome: Outcome,
  ): ComparisonResult {
    if (oldOutcome.ok && newOutcome.ok) {
      const comparison = this.comparisonFor(operation, call.compare);
      if (comparison instanceof Error) {
        return errorResult('$', `invalid comparison options: ${comparison.message}`);
      }
      return comparison.compareJson(toJson(oldOutcome.value), toJson(newOutcome.value));
    }
    if (!oldOutcome.ok && !newOutcome.ok) {
      const oldText = errorText(oldOutcome.error);
      const newText = errorText(newOutcome.error);
      if (oldText === newText) return matchResult();
      return errorResult('error', 'both threw, differently', oldText, newText);
    }
    if (!newOutcome.ok) {
      return errorResult(
        'error',
        newOutcome.timedOut ? 'new timed out' : 'new threw, old returned',
        undefined,
        errorText(newOutcome.error),
      );
    }
    return errorResult(
      'error',
      'old threw, new returned',
      errorText(oldOutcome.ok ? undefined : oldOutcome.error),
    );
  }

  private comparisonFor(
    operation: string,
    options: ComparisonOptions | undefined,
  ): CompiledComparison | Error {
    let comparison = this.comparisons.get(operation);
    if (!comparison) {
      try {
        comparison = compileComparison(options);
      } catch (error) {
        comparison = error instanceof Error ? error : new Error(String(error));
      }
      this.comparisons.set(operation, comparison);
    }
    return comparison;
  }

  private statsFor(operation: string): ParallelRunStats {
    let stats = this.statsByOperation.get(operation);
    if (!stats) {
      stats = {
        calls: 0,
        started: 0,
        skipped: 0,
        sampledOut: 0,
        errors: 0,
        timeouts: 0,
        compared: 0,
        mismatches: 0,
      };
      this.statsByOperation.set(operation, stats);
    }
    return stats;
  }
}

/** Calls `fn` now; a synchronous throw becomes a rejection. */
async function invoke<T>(fn: () => T | Promise<T>): Promise<T> {
  return await fn();
}

/** The value as plain JSON (what a response would carry): dates become strings, etc. */
function toJson(value: unknown): unknown {
  const text = jsonText(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function jsonText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return JSON.stringify(`[unserialisable ${typeof value}]`);
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function observed(outcome: Outcome): ObservedResponse {
  if (outcome.ok) {
    return {
      status: 200,
      headers: {},
      body: jsonText(outcome.value),
      contentType: 'application/json',
    };
  }
  return {
    status: 500,
    headers: {},
    body: JSON.stringify({ error: errorText(outcome.error) }),
    contentType: 'application/json',
  };
}

function matchResult(): ComparisonResult {
  return {
    matches: true,
    differences: [],
    noise: [],
    fields: [],
    learnedNoise: false,
    noisyFields: [],
    omittedDifferences: 0,
    omittedNoise: 0,
  };
}

/**
 * A failed comparison outside the body rules (one side threw, timed out, or the options are
 * invalid): one `value` difference at the pseudo path `error` (or `$`).
 */
function errorResult(
  path: string,
  detail: string,
  primary?: string,
  candidate?: string,
): ComparisonResult {
  const difference: Difference = {
    kind: 'value',
    path,
    concretePath: path,
    ...(primary === undefined ? {} : { primary: JSON.stringify(primary) }),
    ...(candidate === undefined ? {} : { candidate: JSON.stringify(candidate) }),
    detail,
  };
  return {
    ...matchResult(),
    matches: false,
    differences: [difference],
    fields: [{ path, kind: 'value', count: 1, noise: false }],
  };
}
