/**
 * The data plane: one request handler, a fixed order of small steps. Everything heavy (YAML,
 * validation, RegExp compilation, comparisons) happened when the rules were loaded or happens
 * after the client has its answer; here each request does a header scan, a path normalisation,
 * a table lookup, an upstream choice and the forward.
 *
 *   1. request id, trace   keep a well-formed client X-Request-Id, else mint a UUID; W3C
 *                          traceparent kept (new child span) or started
 *   2. framing, size       refuse ambiguous framing (`request/request-framing.ts`: Content-Length
 *                          with Transfer-Encoding, any coding but one chunked, a GET/HEAD body);
 *                          a declared body over `limits.maxRequestBodyBytes` → 413
 *   3. normalise path      refuse ambiguous paths; the normal form is matched AND forwarded
 *   4. snapshot rules      read the active table once: the whole request uses one version
 *   5. match rule          the client address (behind a trusted proxy: from X-Forwarded-For);
 *                          first rule whose method, path and header/cookie/query conditions hold
 *                          (internal headers count only for trusted clients), else the default;
 *                          a path with `;` → 400 unless that rule `allowSemicolons`
 *   6. choose upstream     trusted X-Strangler-Upstream, else the sticky canary split, else primary
 *   7. build headers       strip hop-by-hop headers, X-Strangler-* and internal headers
 *                          (untrusted clients), proxy-only headers (untrusted peers); set
 *                          X-Forwarded-*, Forwarded, X-Request-Id, traceparent
 *   8. body, shadow        decide shadowing; keep a body copy when a shadow or a fallback needs it
 *   9. forward             through the circuit breaker, falling back within the retry budget
 *                          (`resilience/forward-with-fallback.ts`); failures become JSON 502/503/504
 *  10. after the response  (on close) metrics, access log, rollout observation, and the shadow
 *                          copy handed to the dispatcher's queue, never awaited by the client
 *
 * Upgrade requests (WebSocket) arrive on the server's separate `upgrade` event and never reach
 * this handler: `upgrade-handler.ts` takes steps 1, 3-7 through the same functions
 * (`request-passes.ts`, `normaliseTarget`), then tunnels.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { Logger } from 'pino';

import { writeAccessLog } from '../observability/access-log.js';
import type { FacadeMetrics } from '../observability/metrics.js';
import { CircuitBreakers } from '../resilience/circuit-breaker.js';
import {
  ResilientForwarder,
  responseHeadersFor,
  type ForwardPlan,
} from '../resilience/forward-with-fallback.js';
import { RetryBudgets } from '../resilience/retry-budget.js';
import { upstreamFailed } from '../resilience/upstream-fault.js';
import { normaliseTarget, semicolonRefusal } from '../request/normalise-path.js';
import { framingProblem } from '../request/request-framing.js';
import { BodyLimit, readBodyUpTo, type BodyCopy } from '../request/request-body.js';
import type { RequestFacts } from '../request/request-facts.js';
import type { ActiveRules } from '../rules/active-rules.js';
import type { CompiledRuleTable, CompiledShadow, RouteTarget } from '../rules/compile-rules.js';
import type { ShadowDispatcher } from '../shadow/shadow-dispatcher.js';
import { sendFacadeError } from './error-response.js';
import {
  hasRequestBody,
  type ForwardFailure,
  type ProxyCore,
  type ProxyCoreOptions,
} from './proxy-core.js';
import type { ProxyExchange } from './proxy-exchange.js';
import {
  beginExchange,
  clientAddressFor,
  routeRequest,
  upstreamHeaders,
} from './request-passes.js';
import { ResponseCapture } from './response-capture.js';
import { createUpgradeHandler } from './upgrade-handler.js';
import { OpenTunnels } from './upgrade-tunnel.js';

/** Receives canary outcomes of rules with a staged rollout. */
export interface RolloutObserver {
  observe(rule: string, canary: boolean, failed: boolean, durationMs: number): void;
}

export interface ProxyServerOptions {
  readonly rules: ActiveRules;
  readonly core: ProxyCore;
  /** False forces route headers off whatever routes.yaml says (STRANGLER_ROUTE_HEADERS=off). */
  readonly routeHeaders: boolean;
  readonly logger: Logger;
  readonly metrics?: FacadeMetrics | null;
  readonly breakers?: CircuitBreakers;
  readonly retryBudgets?: RetryBudgets;
  readonly shadow?: ShadowDispatcher | null;
  readonly rollout?: RolloutObserver | null;
  /** One info line per request (default true). */
  readonly accessLog?: boolean;
  /** WebSocket tunnels (`upgrade-handler.ts`): the facade's registry and upstream timeouts. */
  readonly upgrades?: {
    readonly tunnels: OpenTunnels;
    readonly timeouts: ProxyCoreOptions;
  };
}

/** Fallbacks keep a copy of request bodies up to this size so they can be replayed. */
export const REPLAY_BODY_LIMIT = 64 * 1024;
/** Primary responses larger than this are not compared (the copy is dropped, counted). */
export const SHADOW_CAPTURE_LIMIT = 1024 * 1024;
/** Upstream timeouts of upgrades when the server is built without `upgrades` (tests). */
const UPGRADE_TIMEOUTS: ProxyCoreOptions = {
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 0,
};
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createProxyHandler(
  options: ProxyServerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { rules, logger } = options;
  const metrics = options.metrics ?? null;
  const shadow = options.shadow ?? null;
  const rollout = options.rollout ?? null;
  const accessLog = options.accessLog ?? true;
  const forwarder = new ResilientForwarder(
    options.core,
    options.breakers ?? new CircuitBreakers(),
    options.retryBudgets ?? new RetryBudgets(),
    metrics,
  );

  /** Step 10: runs once per request when the response is done or the client went away. */
  function afterResponse(
    exchange: ProxyExchange,
    res: ServerResponse,
    job: PendingShadow | null,
  ): void {
    const durationMs = performance.now() - exchange.startedAt;
    const route = exchange.route;
    const status = res.headersSent ? res.statusCode : 0;
    if (route !== null) {
      metrics?.observeRequest(route.name, exchange.upstream.name, status, durationMs / 1000);
      if (rollout !== null && route.canary?.rollout != null) {
        // only the upstream's failures count (a canary request that needed the fallback or the
        // primary did fail); the facade's own refusals and clients that left do not
        rollout.observe(route.name, exchange.canary, upstreamFailed(exchange, status), durationMs);
      }
      if (job !== null) offerShadow(exchange, res, job);
    }
    if (accessLog) writeAccessLog(logger, exchange, res, durationMs);
  }

  function offerShadow(exchange: ProxyExchange, res: ServerResponse, job: PendingShadow): void {
    const route = exchange.route;
    if (shadow === null || route === null) return;
    const rule = route.name;
    const skip = (reason: string): void => {
      metrics?.shadowSkipped.labels(rule, reason).inc();
    };
    if (!res.writableFinished || exchange.failure !== null || exchange.fallbackFrom !== null) {
      return skip('primary_failed');
    }
    if (job.capture.overflowed) return skip('response_too_large');
    shadow.offer({
      rule,
      pathPattern: route.pathPattern,
      shadow: job.config,
      method: exchange.method,
      path: exchange.path,
      requestHeaders: job.headers,
      requestBody: job.body,
      primary: {
        status: job.capture.status,
        headers: job.capture.headers,
        body: job.capture.body(),
      },
      primaryUpstream: exchange.upstream,
      requestId: exchange.requestId,
      secrets: exchange.secrets,
    });
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: ProxyExchange,
    table: CompiledRuleTable,
    facts: RequestFacts,
  ): Promise<void> {
    const route = exchange.route;
    if (route === null) return;
    const routeHeaders = options.routeHeaders && table.settings.routeHeaders;

    // 7. build headers
    const headers = upstreamHeaders(req, exchange, table, facts);

    // 8. body, shadow
    const hasBody = hasRequestBody(req);
    const shadowConfig = shadowFor(route.shadow, exchange);
    let copyLimit = -1;
    if (shadowConfig !== null) copyLimit = shadowConfig.maxBodyBytes;
    if (route.fallback !== null) copyLimit = Math.max(copyLimit, REPLAY_BODY_LIMIT);
    const maxBody = table.settings.limits.maxRequestBodyBytes;
    let body: ForwardPlan['body'] = hasBody ? undefined : null;
    let copy: BodyCopy | null = null;
    let limiter: BodyLimit | null = null;
    if (hasBody && copyLimit >= 0) {
      try {
        copy = await readBodyUpTo(req, Math.min(copyLimit, maxBody));
      } catch {
        res.destroy();
        return;
      }
      if (!copy.complete) {
        limiter = new BodyLimit(maxBody);
        body = copy.body.pipe(limiter);
      } else body = copy.body;
    } else if (hasBody && req.headers['content-length'] === undefined) {
      limiter = new BodyLimit(maxBody); // chunked upload: count as it streams
      body = req.pipe(limiter);
    }
    let pending: PendingShadow | null = null;
    if (shadowConfig !== null) {
      if (copy !== null && !copy.complete) {
        metrics?.shadowSkipped.labels(route.name, 'body_too_large').inc();
      } else {
        exchange.shadowed = true;
        pending = {
          config: shadowConfig,
          headers,
          body: copy !== null && copy.complete ? copy.body : null,
          capture: new ResponseCapture(SHADOW_CAPTURE_LIMIT),
        };
      }
    }
    if (pending !== null || rollout !== null || metrics !== null || accessLog) {
      const job = pending;
      res.once('close', () => afterResponse(exchange, res, job));
    }

    // 9. forward
    const failure = await forwarder.forward(req, res, exchange, {
      headers,
      body,
      replayable: !hasBody || (copy !== null && copy.complete),
      capture: pending?.capture ?? null,
      routeHeaders,
    });
    if (failure === null) return;
    if (limiter?.exceeded === true) {
      exchange.facadeStatus = 413;
      metrics?.limitRefusals.labels('body_too_large').inc();
      const message = `request body larger than ${maxBody} bytes`;
      sendFacadeError(
        res,
        413,
        { error: 'payload_too_large', message, requestId: exchange.requestId },
        ['x-request-id', exchange.requestId],
        true,
      );
      return;
    }
    sendGatewayError(res, exchange, failure, routeHeaders);
  }

  /** Steps 2-4 end a request early with the facade's own JSON answer. */
  function refuse(
    exchange: ProxyExchange,
    res: ServerResponse,
    status: number,
    error: 'bad_request' | 'payload_too_large',
    message: string,
    close = false,
  ): void {
    exchange.facadeStatus = status;
    exchange.secrets = rules.current.table.settings.secrets; // the log line hides them too
    if (accessLog) res.once('close', () => afterResponse(exchange, res, null));
    const requestId = exchange.requestId;
    sendFacadeError(res, status, { error, message, requestId }, ['x-request-id', requestId], close);
  }

  function sendGatewayError(
    res: ServerResponse,
    exchange: ProxyExchange,
    failure: ForwardFailure,
    routeHeaders: boolean,
  ): void {
    const route = exchange.route;
    if (route === null) return;
    logger.warn(
      {
        requestId: exchange.requestId,
        rule: route.name,
        upstream: exchange.upstream.name,
        status: failure.status,
        kind: failure.kind,
      },
      failure.message,
    );
    exchange.facadeStatus = failure.status;
    const headers = responseHeadersFor(exchange.requestId, route, exchange.upstream, routeHeaders);
    if (failure.retryAfterSeconds !== undefined) {
      headers.push('retry-after', String(failure.retryAfterSeconds));
    }
    sendFacadeError(
      res,
      failure.status,
      {
        error: failure.error,
        message: failure.message,
        upstream: exchange.upstream.name,
        requestId: exchange.requestId,
      },
      headers,
    );
  }

  return function handleProxyRequest(req, res) {
    // 1. request id, trace
    const exchange = beginExchange(req);
    const requestId = exchange.requestId;

    // 2. framing check (Node's parser already rejects some of these; this is the backstop)
    const framing = framingProblem(exchange.method, req.headers);
    if (framing !== null) {
      refuse(exchange, res, 400, 'bad_request', framing, true);
      return;
    }
    const contentLength = req.headers['content-length'];

    // 3. normalise path
    const target = normaliseTarget(req.url ?? '');
    if (!target.ok) {
      refuse(exchange, res, 400, 'bad_request', target.reason);
      return;
    }
    exchange.path = target.search === '' ? target.path : target.path + target.search;

    // 4. snapshot rules
    const table = rules.current.table;
    exchange.secrets = table.settings.secrets;
    const maxBody = table.settings.limits.maxRequestBodyBytes;
    if (contentLength !== undefined && Number(contentLength) > maxBody) {
      metrics?.limitRefusals.labels('body_too_large').inc();
      refuse(
        exchange,
        res,
        413,
        'payload_too_large',
        `request body larger than ${maxBody} bytes`,
        true,
      );
      return;
    }

    // 5. match rule, 6. choose upstream (a ';' in the path only where the rule allows it)
    const facts = routeRequest(
      table,
      exchange.method,
      target.path,
      target.search,
      req.headers,
      clientAddressFor(req, table),
      exchange,
    );
    const route = exchange.route as RouteTarget;
    if (target.semicolon && !route.allowSemicolons) {
      refuse(exchange, res, 400, 'bad_request', semicolonRefusal(route.name));
      return;
    }

    handle(req, res, exchange, table, facts).catch((error: unknown) => {
      logger.error({ err: error, requestId }, 'proxy pipeline failed');
      res.destroy();
    });
  };
}

interface PendingShadow {
  readonly config: CompiledShadow;
  readonly headers: readonly string[];
  readonly body: Buffer | null;
  readonly capture: ResponseCapture;
}

/** The rule's shadow when this request is to be shadowed (method, sample, not the same side). */
function shadowFor(shadow: CompiledShadow | null, exchange: ProxyExchange): CompiledShadow | null {
  if (shadow === null || exchange.forced) return null;
  if (shadow.upstream === exchange.upstream) return null; // the canary already serves it
  if (!SAFE_METHODS.has(exchange.method) && !shadow.sideEffectFree) return null;
  if (shadow.percent < 100 && Math.random() * 100 >= shadow.percent) return null;
  return shadow;
}

/** Applies `settings.limits` to the listening server (at start and after each reload). */
export function applyServerLimits(server: Server, table: CompiledRuleTable): void {
  const limits = table.settings.limits;
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Inactivity of a connection while a request is served: a client that stops reading a
  // response (or an exchange that stalls) is cut after this long instead of holding the
  // upstream connection forever. Set new connections' timeout; reloads apply to new ones.
  server.timeout = limits.requestTimeoutMs;
}

export function createProxyServer(serverOptions: ProxyServerOptions): Server {
  // One set of breakers for requests and upgrades: both count against the same upstream.
  const options = { ...serverOptions, breakers: serverOptions.breakers ?? new CircuitBreakers() };
  const server = createServer(
    { keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 },
    createProxyHandler(options),
  );
  applyServerLimits(server, options.rules.current.table);
  // Upgrades (WebSocket) are a separate event: plain requests never reach this handler.
  const metrics = options.metrics ?? null;
  server.on(
    'upgrade',
    createUpgradeHandler({
      rules: options.rules,
      tunnels: options.upgrades?.tunnels ?? new OpenTunnels(metrics, options.logger),
      breakers: options.breakers,
      metrics,
      logger: options.logger,
      routeHeaders: options.routeHeaders,
      timeouts: options.upgrades?.timeouts ?? UPGRADE_TIMEOUTS,
      accessLog: options.accessLog ?? true,
    }),
  );
  return server;
}
