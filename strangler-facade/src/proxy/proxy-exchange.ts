/**
 * The state of one client request as it moves through the pipeline: one object per request,
 * filled in by the steps and read at the end by metrics, the access log, the rollout controller
 * and the shadow dispatcher.
 */
import { SecretRedactor } from '../redaction/secret-redactor.js';
import type { CompiledUpstream, RouteTarget } from '../rules/compile-rules.js';
import type { UpstreamChoice } from '../routing/choose-upstream.js';
import type { FailureKind } from './proxy-core.js';

export class ProxyExchange implements UpstreamChoice {
  readonly startedAt = performance.now();
  requestId = '';
  traceId = '';
  spanId = '';
  /** The traceparent sent upstream. */
  traceparent = '';
  method = '';
  /** Normalised path plus query, as forwarded ('' until step 3 succeeded). */
  path = '';
  route: RouteTarget | null = null;
  // UpstreamChoice: where the request went (after fallback: the fallback upstream)
  upstream = null as unknown as CompiledUpstream;
  canary = false;
  bucket = -1;
  forced = false;
  /** Upstream that failed before the fallback served, or null. */
  fallbackFrom: string | null = null;
  fallbackReason: FailureKind | null = null;
  /** Why a failure was not retried, or null. */
  retryRefused: string | null = null;
  /** The last failure kind, or null when the upstream answered. */
  failure: FailureKind | null = null;
  /** Status the facade itself answered with (400, 413, 502...), 0 when the upstream answered. */
  facadeStatus = 0;
  shadowed = false;
  /** What the access log and a stored shadow comparison redact (the rules' `settings.secrets`). */
  secrets = SecretRedactor.DEFAULT;
}
