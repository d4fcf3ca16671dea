/**
 * strangler-compare: compares a primary (legacy) and a candidate (extracted service) HTTP
 * response field by field, learns noise from a second primary, aggregates results per route and
 * keeps a bounded store of mismatches. Pure: no I/O. See README.md.
 */
export {
  compileComparison,
  ComparisonOptionsError,
  type CompiledComparison,
  type ComparisonOptions,
  type ComparisonResult,
  type FieldCount,
  type NumericTolerance,
  type NumericToleranceOption,
  type UnorderedArrayOption,
} from './compile-comparison.js';
export { DIFFERENCE_KINDS, type Difference, type DifferenceKind } from './difference.js';
export {
  DiffSummary,
  routeKeyOf,
  type DiffSummaryOptions,
  type DiffSummarySnapshot,
  type FieldSummary,
  type RouteKey,
  type RouteSummary,
} from './diff-summary.js';
export {
  headerValue,
  isJsonContentType,
  type HeaderRecord,
  type HeaderValue,
  type ObservedResponse,
} from './http-response.js';
export {
  formatConcretePath,
  formatNormalisedPath,
  JSON_PATH_HELP,
  jsonPathProblem,
  JsonPathSyntaxError,
  parseJsonPath,
  type PathSegment,
  type PathStep,
} from './json-path.js';
export { EMPTY_STATE, PathRuleSet, type PathRule, type PathState } from './path-rules.js';
export {
  MismatchStore,
  type ComparisonRecord,
  type MismatchStoreOptions,
  type ObservedRequest,
  type StoredBody,
  type StoredComparison,
  type StoredRequest,
  type StoredResponse,
} from './mismatch-store.js';
export { renderDifferences, type RenderDifferencesOptions } from './render-differences.js';
export { renderSummaryTable, type RenderSummaryOptions } from './render-summary.js';
export { comparisonOptionsSchema } from './comparison-options.schema.js';
