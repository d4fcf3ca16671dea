/**
 * Step 9 of the pipeline: send to the chosen upstream through its circuit breaker, and when that
 * fails, retry ONCE on the rule's fallback upstream, within the rule's retry budget:
 *
 *   connect-error   nothing reached the upstream: retried for any method (body replayable),
 *                   outside the retry budget
 *   reset           connection lost before a response head: idempotent methods only, outside
 *                   the retry budget (a lost connection is not a slow upstream)
 *   timeout, 5xx    the upstream may have acted: retried for idempotent methods only
 *                   (GET HEAD OPTIONS PUT DELETE TRACE), within the retry budget; a 5xx is held
 *                   back from the client (not streamed) only when a retry is possible
 *   circuit open    nothing is sent to the upstream; the fallback serves (no budget used);
 *                   without a fallback, a canary's share goes back to the primary, else 503
 *   body refused    the facade cut the request (size limit): never retried, never counted
 *   queue full      the upstream's connections and queue are full: 503 + Retry-After at once
 *                   (its overflow is not moved onto the fallback), never counted
 *
 * A POST is therefore never replayed after its bytes went out. Bodies are replayable only when
 * the pipeline holds a complete copy (see `request/request-body.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

import type { FacadeMetrics } from '../observability/metrics.js';
import type { ProxyCore, ForwardFailure } from '../proxy/proxy-core.js';
import type { ProxyExchange } from '../proxy/proxy-exchange.js';
import type { ResponseCapture } from '../proxy/response-capture.js';
import type { CompiledUpstream, RouteTarget } from '../rules/compile-rules.js';
import { REFUSED, type CircuitBreakers } from './circuit-breaker.js';
import type { RetryBudgets } from './retry-budget.js';
import { isUpstreamFault } from './upstream-fault.js';

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
  'TRACE',
]);

export interface ForwardPlan {
  readonly headers: readonly string[];
  /** Undefined = stream the client request; null = no body; else a copy or a replay stream. */
  readonly body: Buffer | Readable | null | undefined;
  /** True when the body can be sent twice (none, or a complete copy). */
  readonly replayable: boolean;
  readonly capture: ResponseCapture | null;
  /** Route headers on the response (X-Strangler-Route / -Upstream)? */
  readonly routeHeaders: boolean;
}

export class ResilientForwarder {
  constructor(
    private readonly core: ProxyCore,
    private readonly breakers: CircuitBreakers,
    private readonly budgets: RetryBudgets,
    private readonly metrics: FacadeMetrics | null,
  ) {}

  async forward(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: ProxyExchange,
    plan: ForwardPlan,
  ): Promise<ForwardFailure | null> {
    const route = exchange.route as RouteTarget;
    const fallback = route.fallback;
    const first = exchange.upstream;
    const now = Date.now();
    const canFallback = fallback !== null && fallback.upstream !== first && !exchange.forced;
    if (canFallback) this.budgets.recordRequest(route.name, now);

    const ticket = this.breakers.for(first).allow(now);
    if (ticket === REFUSED) {
      exchange.failure = 'circuit-open';
      this.metrics?.upstreamErrors.labels(route.name, first.name, 'circuit-open').inc();
      if (canFallback) {
        return this.#retry(
          req,
          res,
          exchange,
          plan,
          first,
          fallback.upstream,
          'circuit-open',
          null,
        );
      }
      // A canary whose circuit is open hands its share back to the primary.
      if (exchange.canary && route.upstream !== first) {
        return this.#retry(req, res, exchange, plan, first, route.upstream, 'circuit-open', null);
      }
      return circuitOpen(first);
    }

    const idempotent = IDEMPOTENT_METHODS.has(exchange.method);
    const divert = canFallback && fallback.on5xx && idempotent && plan.replayable;
    const failure = await this.#attempt(
      req,
      res,
      exchange,
      plan,
      first,
      ticket,
      divert,
      plan.capture,
    );
    if (failure === null || !canFallback) return failure;

    let refused: string | null = null;
    switch (failure.kind) {
      case 'connect':
        if (!fallback.onConnectError) refused = 'not_configured';
        else if (!plan.replayable) refused = 'body_not_replayable';
        break;
      case 'timeout':
      case 'reset':
        if (!(failure.kind === 'timeout' ? fallback.onTimeout : fallback.onConnectError)) {
          refused = 'not_configured';
        } else if (!idempotent) refused = 'not_idempotent';
        else if (!plan.replayable) refused = 'body_not_replayable';
        break;
      case 'status': // only diverted when a retry was allowed
      case 'circuit-open':
        break;
      case 'body-refused': // the facade's own refusals: the client gets its 413 ...
      case 'queue-full': // ... or its 503 + Retry-After (the upstream is busy, not failing)
        return failure;
    }
    // A lost connection (refused, or reset before a response head) is retried without touching
    // the budget: the upstream produced no answer, the fallback serves in its place what the
    // breaker will soon send it anyway (like nginx's `proxy_next_upstream error` and Envoy's
    // `connect-failure`/`reset`). The budget guards the costly retries: timeouts and 5xx, where
    // the upstream is slow or busy and a retry doubles the work.
    const spendsBudget = failure.kind !== 'connect' && failure.kind !== 'reset';
    if (
      refused === null &&
      spendsBudget &&
      !this.budgets.tryRetry(route.name, fallback.retryBudget, Date.now())
    ) {
      refused = 'budget_exhausted';
    }
    if (refused !== null) {
      exchange.retryRefused = refused;
      this.metrics?.retriesRefused.labels(route.name, refused).inc();
      return failure;
    }
    return this.#retry(req, res, exchange, plan, first, fallback.upstream, failure.kind, failure);
  }

  async #retry(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: ProxyExchange,
    plan: ForwardPlan,
    from: CompiledUpstream,
    to: CompiledUpstream,
    reason: NonNullable<ProxyExchange['fallbackReason']>,
    failure: ForwardFailure | null,
  ): Promise<ForwardFailure | null> {
    const route = exchange.route as RouteTarget;
    exchange.fallbackFrom = from.name;
    exchange.fallbackReason = reason;
    this.metrics?.fallbacks.labels(route.name, from.name, to.name, reason).inc();
    const ticket = this.breakers.for(to).allow(Date.now());
    if (ticket === REFUSED) {
      exchange.upstream = to;
      exchange.failure = 'circuit-open';
      this.metrics?.upstreamErrors.labels(route.name, to.name, 'circuit-open').inc();
      return failure ?? circuitOpen(to);
    }
    return this.#attempt(req, res, exchange, plan, to, ticket, false, null);
  }

  async #attempt(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: ProxyExchange,
    plan: ForwardPlan,
    upstream: CompiledUpstream,
    ticket: number,
    divert5xx: boolean,
    capture: ResponseCapture | null,
  ): Promise<ForwardFailure | null> {
    const route = exchange.route as RouteTarget;
    exchange.upstream = upstream;
    const failure = await this.core.forwardRequest(req, res, {
      upstream,
      method: exchange.method,
      path: exchange.path,
      headers: plan.headers,
      responseHeaders: responseHeadersFor(exchange.requestId, route, upstream, plan.routeHeaders),
      body: plan.body,
      divert5xx,
      capture,
    });
    // Only the upstream's own failures count against it (`upstream-fault.ts`); a client that
    // went away before the answer (no failure, nothing sent to the client) counts for nothing.
    const breaker = this.breakers.for(upstream);
    if (failure !== null) {
      exchange.failure = failure.kind;
      if (failure.kind === 'queue-full') this.metrics?.limitRefusals.labels('upstream_busy').inc();
      if (isUpstreamFault(failure.kind)) {
        breaker.record(ticket, false, Date.now());
        this.metrics?.upstreamErrors.labels(route.name, upstream.name, failure.kind).inc();
      }
    } else if (res.headersSent) {
      exchange.failure = null;
      const failed = res.statusCode >= 500;
      breaker.record(ticket, !failed, Date.now());
      if (failed) this.metrics?.upstreamErrors.labels(route.name, upstream.name, 'status').inc();
    }
    return failure;
  }
}

export function responseHeadersFor(
  requestId: string,
  route: RouteTarget,
  upstream: CompiledUpstream,
  routeHeaders: boolean,
): string[] {
  return routeHeaders
    ? [
        'x-request-id',
        requestId,
        'x-strangler-route',
        route.name,
        'x-strangler-upstream',
        upstream.name,
      ]
    : ['x-request-id', requestId];
}

function circuitOpen(upstream: CompiledUpstream): ForwardFailure {
  return {
    status: 503,
    error: 'service_unavailable',
    message: `upstream "${upstream.name}" is failing (circuit open); try again shortly`,
    kind: 'circuit-open',
  };
}
