/**
 * Whose fault a failed request was. Invariant: an upstream's circuit breaker and a rollout's
 * error rate count only what the UPSTREAM did (it refused or dropped the connection, timed out,
 * answered 5xx), never what the facade refused itself (a body over the limit, a full connection
 * queue, a malformed request) nor what the client did (went away before the answer). Otherwise
 * any client could open a breaker or abort a rollout with requests the upstream never saw.
 */
import type { FailureKind } from '../proxy/proxy-core.js';
import type { ProxyExchange } from '../proxy/proxy-exchange.js';

const UPSTREAM_FAULTS: ReadonlySet<FailureKind> = new Set([
  'connect',
  'timeout',
  'reset',
  'status',
]);

/** True when a failure of this kind is the upstream's doing (the breaker counts it). */
export function isUpstreamFault(kind: FailureKind): boolean {
  return UPSTREAM_FAULTS.has(kind);
}

/**
 * The rollout's view of one finished request: did the upstream it was meant for fail it?
 * A request that needed the fallback, or met an open circuit (opened by earlier upstream
 * failures), failed; so did a 5xx the upstream answered. A refusal by the facade (`facadeStatus`
 * set, no upstream failure) or a client that left (`status` 0, no failure) did not.
 */
export function upstreamFailed(exchange: ProxyExchange, status: number): boolean {
  const reason = exchange.fallbackReason;
  if (reason !== null && (reason === 'circuit-open' || isUpstreamFault(reason))) return true;
  const failure = exchange.failure;
  if (failure !== null) return failure === 'circuit-open' || isUpstreamFault(failure);
  return exchange.facadeStatus === 0 && status >= 500;
}
