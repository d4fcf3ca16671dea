/**
 * The pipeline passes that plain requests (`proxy-server.ts`) and upgrades (`upgrade-handler.ts`)
 * share, so an upgrade is identified, routed and given its upstream headers by exactly the rules
 * a request is (numbers as in proxy-server.ts):
 *
 *   1.   beginExchange     request id and trace context
 *   5+6. routeRequest      trusted client?, request facts, first matching rule, upstream choice
 *   7.   upstreamHeaders   the header list sent upstream (hop-by-hop and untrusted internal
 *                          headers dropped, X-Forwarded-*, Forwarded, X-Request-Id, traceparent)
 *
 * Path normalisation (step 3) is `normaliseTarget` itself, called by both.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

import { traceContextFor } from '../observability/trace-context.js';
import { clientAddressOf, upstreamRequestHeaders } from '../request/forwarded-headers.js';
import { RequestFacts } from '../request/request-facts.js';
import { requestIdFor } from '../request/request-id.js';
import type { CompiledRuleTable, RouteTarget } from '../rules/compile-rules.js';
import { matchRule } from '../rules/match-rule.js';
import { chooseUpstream, type UpstreamChoice } from '../routing/choose-upstream.js';
import { ProxyExchange } from './proxy-exchange.js';

/** Step 1: a new exchange with its request id, trace context, method and raw target. */
export function beginExchange(req: IncomingMessage): ProxyExchange {
  const exchange = new ProxyExchange();
  exchange.requestId = requestIdFor(req.headers['x-request-id']);
  const trace = traceContextFor(req.headers.traceparent);
  exchange.traceId = trace.traceId;
  exchange.spanId = trace.spanId;
  exchange.traceparent = trace.traceparent;
  exchange.method = req.method ?? 'GET';
  exchange.path = req.url ?? '';
  return exchange;
}

/**
 * The client's address as rules and sticky keys see it: the peer, or behind a configured trusted
 * proxy the right-most `X-Forwarded-For` hop that is not one (nginx realip); '' when unknown.
 */
export function clientAddressFor(req: IncomingMessage, table: CompiledRuleTable): string {
  return clientAddressOf(
    req.socket.remoteAddress,
    req.headers['x-forwarded-for'],
    table.settings.trustedProxyList,
  );
}

/** Where a request was routed: its rule and the upstream choice. */
export interface RoutedRequest extends UpstreamChoice {
  route: RouteTarget | null;
}

/**
 * Steps 5 and 6: whether the client may send internal headers (`settings.trustedClients`), the
 * facts rule conditions read, the first matching rule (else the default) and the upstream
 * choice, written into `routed` (the per-request exchange: no allocation beyond the facts).
 * Also used to re-route an open tunnel's upgrade against newly loaded rules.
 */
export function routeRequest(
  table: CompiledRuleTable,
  method: string,
  /** Normalised path, without the query. */
  path: string,
  /** Query string including `?`, or ''. */
  search: string,
  headers: IncomingHttpHeaders,
  /** Client address (`clientAddressFor`); '' when unknown. */
  clientAddress: string,
  routed: RoutedRequest,
): RequestFacts {
  const trustedList = table.settings.trustedClientList;
  const trusted =
    trustedList !== null &&
    clientAddress !== '' &&
    trustedList.check(clientAddress, clientAddress.includes(':') ? 'ipv6' : 'ipv4');
  const facts = new RequestFacts(headers, search, trusted, clientAddress);
  const route = matchRule(table, method, path, facts);
  routed.route = route;
  chooseUpstream(table, route, facts, routed);
  return facts;
}

/** Step 7: the flat `[name, value, ...]` header list for the upstream. */
export function upstreamHeaders(
  req: IncomingMessage,
  exchange: ProxyExchange,
  table: CompiledRuleTable,
  facts: RequestFacts,
): string[] {
  return upstreamRequestHeaders(
    req.rawHeaders,
    req.headers,
    {
      remoteAddress: req.socket.remoteAddress,
      encrypted: (req.socket as TLSSocket).encrypted === true,
    },
    exchange.requestId,
    table.settings.trustedProxyList,
    exchange.traceparent,
    facts.trustedClient ? null : table.settings.internalHeaders,
  );
}
