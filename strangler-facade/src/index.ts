/**
 * The facade's public surface, for the stack runner, the CLI and other packages of the repo.
 * Import from here rather than from individual modules.
 */
export {
  facadeOptionsFromConfig,
  startFacade,
  type FacadeOptions,
  type RunningFacade,
} from './facade.js';
export {
  facadeConfigFromEnv,
  FacadeConfigError,
  type FacadeConfig,
} from './config/facade-config.js';
export {
  RulesLoadError,
  type LoadedRules,
  type ReloadError,
  type ReloadOutcome,
} from './rules/active-rules.js';
export { loadRules, type LoadRulesResult } from './rules/load-rules.js';
export {
  compileRules,
  upstreamEnvVar,
  type CompiledRule,
  type CompiledRuleTable,
  type CompiledUpstream,
  type RouteTarget,
} from './rules/compile-rules.js';
export { parseRulesText, readRulesFile, type RulesFileResult } from './rules/read-rules-file.js';
export { matchRule } from './rules/match-rule.js';
export { describeRules, formatRouteTable } from './rules/describe-rules.js';
export { routesJsonSchema } from './rules/routes-json-schema.js';
export { routesFileSchema, type RoutesFile, type RoutesFileInput } from './rules/rule-schema.js';
export { normaliseTarget, type NormalisedTarget } from './request/normalise-path.js';
export { createUndiciCore } from './proxy/forward-request.js';
export { createNodeHttpCore } from './proxy/forward-request-node.js';
export type {
  ForwardFailure,
  OutgoingRequest,
  ProxyCore,
  ProxyCoreOptions,
} from './proxy/proxy-core.js';
export { FacadeMetrics, statusClass } from './observability/metrics.js';
export { traceContextFor, type TraceContext } from './observability/trace-context.js';
export { stickyBucket, stickyKey, bearerUser, BUCKETS } from './routing/sticky-bucket.js';
export { chooseUpstream, type UpstreamChoice } from './routing/choose-upstream.js';
export {
  CircuitBreaker,
  CircuitBreakers,
  type CircuitState,
} from './resilience/circuit-breaker.js';
export { RetryBudgets } from './resilience/retry-budget.js';
export {
  RolloutController,
  type RolloutDecision,
  type RolloutStatus,
} from './rollout/rollout-controller.js';
export { ShadowRecorder } from './shadow/shadow-recorder.js';
export { ShadowDispatcher } from './shadow/shadow-dispatcher.js';
export { explainRequest } from './admin/explain-request.js';
export {
  adminTokenFileFor,
  ensureAdminTokenFile,
  localAdminToken,
  readAdminTokenFile,
} from './admin/admin-token-file.js';
export {
  ALWAYS_SECRET_HEADERS,
  REDACTED,
  SecretRedactor,
  type SecretsConfig,
} from './redaction/secret-redactor.js';
export type {
  CompiledCanary,
  CompiledFallback,
  CompiledShadow,
  StickyKind,
} from './rules/compile-rules.js';
