/**
 * The data plane: one request handler, a fixed order of small steps. Everything heavy (YAML,
 * validation, RegExp compilation) happened when the rules were loaded; here each request does a
 * header scan, a path normalisation (a no-op scan for ordinary paths), a table lookup and the
 * forward.
 *
 *   1. request id        keep a well-formed client X-Request-Id, else mint a UUID
 *   2. framing check     refuse Content-Length together with Transfer-Encoding (smuggling)
 *   3. normalise path    refuse ambiguous paths; the normal form is matched AND forwarded
 *   4. snapshot rules    read the active table once: the whole request uses one version
 *   5. match rule        first matching rule, else the default rule
 *   6. build headers     strip hop-by-hop, set X-Forwarded-* / Forwarded / X-Request-Id
 *   7. forward           stream to the upstream and back; failures become JSON 502/504
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

import type { Logger } from 'pino';

import { upstreamRequestHeaders } from '../request/forwarded-headers.js';
import { normaliseTarget } from '../request/normalise-path.js';
import { requestIdFor } from '../request/request-id.js';
import type { ActiveRules } from '../rules/active-rules.js';
import { matchRule } from '../rules/match-rule.js';
import { sendFacadeError } from './error-response.js';
import type { ProxyCore } from './proxy-core.js';

export interface ProxyServerOptions {
  readonly rules: ActiveRules;
  readonly core: ProxyCore;
  /** False forces route headers off whatever routes.yaml says (STRANGLER_ROUTE_HEADERS=off). */
  readonly routeHeaders: boolean;
  readonly logger: Logger;
}

export function createProxyHandler(
  options: ProxyServerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { rules, core, logger } = options;

  return function handleProxyRequest(req, res) {
    // 1. request id
    const requestId = requestIdFor(req.headers['x-request-id']);
    const idHeader = ['x-request-id', requestId];

    // 2. framing check (Node's parser already rejects most of these; this is the backstop)
    if (
      req.headers['content-length'] !== undefined &&
      req.headers['transfer-encoding'] !== undefined
    ) {
      const message = 'request has both Content-Length and Transfer-Encoding';
      sendFacadeError(res, 400, { error: 'bad_request', message, requestId }, idHeader, true);
      return;
    }

    // 3. normalise path
    const target = normaliseTarget(req.url ?? '');
    if (!target.ok) {
      sendFacadeError(
        res,
        400,
        { error: 'bad_request', message: target.reason, requestId },
        idHeader,
      );
      return;
    }

    // 4. snapshot rules
    const table = rules.current.table;

    // 5. match rule
    const method = req.method ?? 'GET';
    const route = matchRule(table, method, target.path);
    const upstream = route.upstream;
    const responseHeaders =
      options.routeHeaders && table.settings.routeHeaders
        ? [
            'x-request-id',
            requestId,
            'x-strangler-route',
            route.name,
            'x-strangler-upstream',
            upstream.name,
          ]
        : idHeader;

    // 6. build headers
    const headers = upstreamRequestHeaders(
      req.rawHeaders,
      req.headers,
      {
        remoteAddress: req.socket.remoteAddress,
        encrypted: (req.socket as TLSSocket).encrypted === true,
      },
      requestId,
      table.settings.trustedProxyList,
    );

    // 7. forward
    const path = target.search === '' ? target.path : target.path + target.search;
    core.forwardRequest(req, res, { upstream, method, path, headers, responseHeaders }).then(
      (failure) => {
        if (failure === null) return;
        logger.warn(
          { requestId, rule: route.name, upstream: upstream.name, status: failure.status },
          failure.message,
        );
        sendFacadeError(
          res,
          failure.status,
          { error: failure.error, message: failure.message, upstream: upstream.name, requestId },
          responseHeaders,
        );
      },
      (error: unknown) => {
        logger.error({ err: error, requestId }, 'proxy core failed');
        res.destroy();
      },
    );
  };
}

export function createProxyServer(options: ProxyServerOptions): Server {
  const server = createServer({ keepAliveTimeout: 5_000 }, createProxyHandler(options));
  // Upgrades (WebSocket) are not proxied yet: answer instead of leaving the socket hanging.
  server.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  return server;
}
