/**
 * The data plane's `upgrade` event (WebSocket handshakes): the same passes as a plain request,
 * then a byte tunnel. Plain requests never come here (Node emits `upgrade` only for requests
 * with `Connection: upgrade` and an `Upgrade` header), so they pay nothing for it.
 *
 *   1. request id, trace   `beginExchange`, as for requests
 *   2. refusals            not GET, or a request body → 400; the facade is shutting down → 503
 *   3. normalise path      `normaliseTarget`, as for requests (400 on an ambiguous path)
 *   4. snapshot rules      one table for the whole handshake
 *   5. match rule          `routeRequest`: rules match an upgrade as the GET it is, so a rule's
 *   6. choose upstream       methods, path and conditions, the sticky canary split and a trusted
 *                            client's X-Strangler-Upstream all apply
 *   7. circuit breaker     an open circuit → 503, except that a canary hands its share back to
 *                          the primary, as for requests. No fallback and no shadow: a tunnel
 *                          cannot be replayed or compared
 *   8. build headers       `upstreamHeaders`, as for requests, plus `Connection: Upgrade` and
 *                          the client's `Upgrade` (the only hop-by-hop headers an upgrade keeps)
 *   9. forward             `requestUpgrade` (own connection, connect and head timeouts):
 *                            101        → 101 to the client (the upstream's headers plus the
 *                                         facade's), then the tunnel (`upgrade-tunnel.ts`)
 *                            other      → relayed as the upstream sent it, connection closed
 *                            failure    → JSON 502/504 as for requests, connection closed
 *                          Circuit breaker: a failure or a 5xx counts against the upstream, a
 *                          101 or another answer for it; a client that left counts for nothing.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';

import type { FacadeMetrics } from '../observability/metrics.js';
import { REFUSED, type CircuitBreakers } from '../resilience/circuit-breaker.js';
import { responseHeadersFor } from '../resilience/forward-with-fallback.js';
import { normaliseTarget, semicolonRefusal } from '../request/normalise-path.js';
import type { ActiveRules } from '../rules/active-rules.js';
import type { CompiledUpstream, RouteTarget } from '../rules/compile-rules.js';
import { sendFacadeError, type FacadeErrorBody } from './error-response.js';
import { hasRequestBody, type ProxyCoreOptions } from './proxy-core.js';
import type { ProxyExchange } from './proxy-exchange.js';
import {
  beginExchange,
  clientAddressFor,
  routeRequest,
  upstreamHeaders,
} from './request-passes.js';
import { clientResponseHeaders } from './response-headers.js';
import type { OpenTunnels, TunnelOrigin } from './upgrade-tunnel.js';
import { requestUpgrade } from './upstream-upgrade.js';

export interface UpgradeHandlerOptions {
  readonly rules: ActiveRules;
  readonly tunnels: OpenTunnels;
  readonly breakers: CircuitBreakers;
  readonly metrics: FacadeMetrics | null;
  readonly logger: Logger;
  /** False forces route headers off (as for requests). */
  readonly routeHeaders: boolean;
  readonly timeouts: ProxyCoreOptions;
  /** One info line per upgrade (`msg: "upgrade"`), as the access log has per request. */
  readonly accessLog: boolean;
}

/** `strangler_upgrades_total` outcomes. */
type UpgradeOutcome =
  'switched' | 'refused' | 'connect' | 'timeout' | 'reset' | 'circuit-open' | 'client-gone';

export function createUpgradeHandler(
  options: UpgradeHandlerOptions,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { rules, tunnels, breakers, metrics, logger } = options;

  function count(exchange: ProxyExchange, outcome: UpgradeOutcome, status: number): void {
    const rule = (exchange.route as RouteTarget).name;
    metrics?.upgrades.labels(rule, exchange.upstream.name, outcome).inc();
    if (!options.accessLog) return;
    logger.info(
      {
        requestId: exchange.requestId,
        traceId: exchange.traceId,
        rule,
        upstream: exchange.upstream.name,
        outcome,
        status,
        durationMs: Math.round(performance.now() - exchange.startedAt),
        canary: exchange.canary,
        bucket: exchange.bucket,
      },
      'upgrade',
    );
  }

  async function forward(
    req: IncomingMessage,
    socket: Socket,
    exchange: ProxyExchange,
    origin: TunnelOrigin,
    headers: readonly string[],
    idleTimeoutMs: number,
    routeHeaders: boolean,
    /** The breaker's ticket this upgrade was admitted with (`CircuitBreaker.allow`). */
    ticket: number,
  ): Promise<void> {
    const route = exchange.route as RouteTarget;
    const upstream = exchange.upstream;
    const attempt = requestUpgrade(upstream, exchange.path, headers, options.timeouts);
    let clientGone = false;
    const onClientGone = (): void => {
      clientGone = true;
      attempt.cancel();
    };
    socket.once('close', onClientGone);
    const settled = tunnels.pending(attempt);
    const answer = await attempt.answer;
    settled();
    socket.off('close', onClientGone);
    const breaker = breakers.for(upstream);
    const facadeHeaders = responseHeadersFor(exchange.requestId, route, upstream, routeHeaders);

    if (answer.kind === 'failed') {
      if (clientGone) return count(exchange, 'client-gone', 0);
      if (tunnels.closing)
        return refuse(req, socket, exchange, 503, 'service_unavailable', SHUTDOWN);
      const failure = answer.failure;
      breaker.record(ticket, false, Date.now());
      metrics?.upstreamErrors.labels(route.name, upstream.name, failure.kind).inc();
      logger.warn(
        { requestId: exchange.requestId, rule: route.name, upstream: upstream.name },
        failure.message,
      );
      count(
        exchange,
        failure.kind === 'connect' || failure.kind === 'timeout' ? failure.kind : 'reset',
        failure.status,
      );
      const body: FacadeErrorBody = {
        error: failure.error,
        message: failure.message,
        upstream: upstream.name,
        requestId: exchange.requestId,
      };
      sendFacadeError(responseOn(req, socket), failure.status, body, facadeHeaders, true);
      return;
    }

    const response = answer.response;
    const status = response.statusCode ?? 502;
    breaker.record(ticket, status < 500, Date.now());
    if (status >= 500) metrics?.upstreamErrors.labels(route.name, upstream.name, 'status').inc();

    if (answer.kind === 'answered') {
      count(exchange, clientGone ? 'client-gone' : 'refused', status);
      if (clientGone) {
        response.destroy();
        return;
      }
      const res = responseOn(req, socket);
      res.writeHead(status, clientResponseHeaders(response.headers, facadeHeaders));
      response.once('error', () => res.destroy());
      response.pipe(res);
      return;
    }

    if (clientGone || socket.destroyed || tunnels.closing) {
      answer.socket.destroy();
      if (tunnels.closing && !clientGone) socket.destroy();
      return count(exchange, 'client-gone', 0);
    }
    socket.write(switchingProtocolsHead(response, facadeHeaders));
    if (answer.head.length > 0) socket.write(answer.head);
    count(exchange, 'switched', 101);
    tunnels.open(socket, answer.socket, origin, idleTimeoutMs);
  }

  return function handleUpgrade(req, duplex, head) {
    const socket = duplex as Socket;
    // Until a response or the tunnel owns the socket, a client error just ends it.
    socket.on('error', () => socket.destroy());
    if (head.length > 0) socket.unshift(head); // early tunnel bytes go upstream after the 101

    // 1. request id, trace
    const exchange = beginExchange(req);

    // 2. refusals
    if (tunnels.closing) {
      return refuse(req, socket, exchange, 503, 'service_unavailable', SHUTDOWN);
    }
    if (exchange.method !== 'GET') {
      const message = `an upgrade request must be a GET, not ${exchange.method}`;
      return refuse(req, socket, exchange, 400, 'bad_request', message);
    }
    if (hasRequestBody(req)) {
      return refuse(req, socket, exchange, 400, 'bad_request', 'an upgrade request has no body');
    }

    // 3. normalise path
    const target = normaliseTarget(req.url ?? '');
    if (!target.ok) return refuse(req, socket, exchange, 400, 'bad_request', target.reason);
    exchange.path = target.search === '' ? target.path : target.path + target.search;

    // 4. snapshot rules
    const table = rules.current.table;

    // 5. match rule, 6. choose upstream
    const clientAddress = clientAddressFor(req, table);
    const facts = routeRequest(
      table,
      'GET',
      target.path,
      target.search,
      req.headers,
      clientAddress,
      exchange,
    );
    const route = exchange.route as RouteTarget;
    if (target.semicolon && !route.allowSemicolons) {
      return refuse(req, socket, exchange, 400, 'bad_request', semicolonRefusal(route.name));
    }
    const routedTo = exchange.upstream;
    const routeHeaders = options.routeHeaders && table.settings.routeHeaders;

    // 7. circuit breaker
    const admitted = upstreamAllowed(exchange, route);
    if (admitted === null) {
      count(exchange, 'circuit-open', 503);
      const message = `upstream "${routedTo.name}" is failing (circuit open); try again shortly`;
      return refuse(req, socket, exchange, 503, 'service_unavailable', message, routeHeaders);
    }
    const { upstream, ticket } = admitted;
    exchange.upstream = upstream;

    // 8. build headers
    const headers = upstreamHeaders(req, exchange, table, facts);
    headers.push('connection', 'Upgrade', 'upgrade', String(req.headers.upgrade));

    // 9. forward
    const origin: TunnelOrigin = {
      requestId: exchange.requestId,
      rule: route.name,
      upstream,
      routedTo,
      path: target.path,
      search: target.search,
      headers: req.headers,
      clientAddress,
    };
    const idleTimeoutMs = table.settings.upgrades.idleTimeoutMs;
    forward(req, socket, exchange, origin, headers, idleTimeoutMs, routeHeaders, ticket).catch(
      (error: unknown) => {
        logger.error({ err: error, requestId: exchange.requestId }, 'upgrade pipeline failed');
        socket.destroy();
      },
    );
  };

  /**
   * The upstream whose breaker lets the upgrade through with the breaker's ticket, or null (open
   * circuit: 503).
   */
  function upstreamAllowed(
    exchange: ProxyExchange,
    route: RouteTarget,
  ): { readonly upstream: CompiledUpstream; readonly ticket: number } | null {
    const now = Date.now();
    const chosen = exchange.upstream;
    const ticket = breakers.for(chosen).allow(now);
    if (ticket !== REFUSED) return { upstream: chosen, ticket };
    metrics?.upstreamErrors.labels(route.name, chosen.name, 'circuit-open').inc();
    // A canary whose circuit is open hands its share back to the primary.
    if (exchange.canary && route.upstream !== chosen) {
      const primaryTicket = breakers.for(route.upstream).allow(now);
      if (primaryTicket !== REFUSED) return { upstream: route.upstream, ticket: primaryTicket };
    }
    return null;
  }

  /** The facade's own JSON answer on the raw socket, then the connection closes. */
  function refuse(
    req: IncomingMessage,
    socket: Socket,
    exchange: ProxyExchange,
    status: number,
    error: FacadeErrorBody['error'],
    message: string,
    routeHeaders = false,
  ): void {
    exchange.facadeStatus = status;
    const route = exchange.route;
    const extra =
      route !== null
        ? responseHeadersFor(exchange.requestId, route, exchange.upstream, routeHeaders)
        : ['x-request-id', exchange.requestId];
    const body: FacadeErrorBody = { error, message, requestId: exchange.requestId };
    sendFacadeError(responseOn(req, socket), status, body, extra, true);
  }
}

const SHUTDOWN = 'the facade is shutting down; reconnect';

/**
 * An HTTP response written on the upgrade's raw socket (Node gives an `upgrade` listener no
 * ServerResponse): framing as for any response, `Connection: close`, the socket ended after it.
 */
function responseOn(req: IncomingMessage, socket: Socket): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => socket.destroySoon());
  return res;
}

/** The 101 sent to the client: the upstream's end-to-end headers plus the facade's own. */
function switchingProtocolsHead(
  response: IncomingMessage,
  facadeHeaders: readonly string[],
): string {
  const headers = clientResponseHeaders(response.headers, facadeHeaders);
  let head = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${String(
    response.headers.upgrade,
  )}\r\n`;
  for (let index = 0; index < headers.length; index += 2) {
    head += `${headers[index]}: ${headers[index + 1]}\r\n`;
  }
  return head + '\r\n';
}
