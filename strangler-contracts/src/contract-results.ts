/**
 * What a contract run returns: one result per case, tallies per endpoint, and the
 * strangler-compare `DiffSummary` of every comparison (which fields differ, per endpoint).
 * Plain JSON, so it can be written to a file or asserted on in tests.
 */
import type { ComparisonResult, DiffSummarySnapshot } from '../../strangler-compare/index.js';

export type CaseOutcome = 'passed' | 'failed' | 'error' | 'skipped';

/** One side's answer to a compared request. */
export interface SideExchange {
  /** Method and path+query as sent (captured ids differ between the sides). */
  readonly request: string;
  readonly status: number;
  readonly durationMs: number;
}

/** One compared request of a case: the case's request, or one of its read-backs. */
export interface ComparedExchange {
  /** `request` or `readBack[0]`, `readBack[1]`... */
  readonly step: string;
  readonly old: SideExchange;
  readonly new: SideExchange;
  readonly comparison: ComparisonResult;
  /** `expect` not met, e.g. `old side: expected status 201, got 401`. */
  readonly expectationFailures: readonly string[];
}

export interface ContractCaseResult {
  /** `get-card › found`: file name and case name. */
  readonly id: string;
  /** The case file and the line of the case. */
  readonly file: string;
  readonly line: number;
  /** The file's endpoint, e.g. `GET /cards/:id`. */
  readonly endpoint: string;
  readonly name: string;
  readonly outcome: CaseOutcome;
  readonly durationMs: number;
  readonly exchanges: readonly ComparedExchange[];
  /** Why the case did not run to the end (`error`), or why it was skipped. */
  readonly error?: string;
  /** Teardown problems: reported, but they do not fail the case. */
  readonly warnings: readonly string[];
}

export interface EndpointTally {
  /** Summary row key, `get-card GET /cards/:id` (file name, method, path pattern). */
  readonly key: string;
  readonly file: string;
  readonly endpoint: string;
  readonly cases: number;
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly skipped: number;
}

export interface ContractRunResult {
  /** Every selected case passed (skipped ones aside) and at least one ran. */
  readonly ok: boolean;
  readonly oldBaseUrl: string;
  readonly newBaseUrl: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly cases: readonly ContractCaseResult[];
  readonly endpoints: readonly EndpointTally[];
  readonly totals: {
    readonly cases: number;
    readonly passed: number;
    readonly failed: number;
    readonly errors: number;
    readonly skipped: number;
  };
  /** Every comparison recorded under its case's endpoint: the differing fields, per endpoint. */
  readonly diffSummary: DiffSummarySnapshot;
}
