/**
 * One structured line per request (pino, level info, `msg: "request"`), written when the
 * response is done or the client went away, with the request id AND the W3C trace id so a line
 * can be joined with the upstreams' logs either way.
 */
import type { ServerResponse } from 'node:http';

import type { Logger } from 'pino';

import type { ProxyExchange } from '../proxy/proxy-exchange.js';

export function writeAccessLog(
  logger: Logger,
  exchange: ProxyExchange,
  res: ServerResponse,
  durationMs: number,
): void {
  logger.info(
    {
      requestId: exchange.requestId,
      traceId: exchange.traceId,
      spanId: exchange.spanId,
      method: exchange.method,
      path: exchange.secrets.url(exchange.path),
      rule: exchange.route?.name ?? null,
      upstream: exchange.route !== null ? exchange.upstream.name : null,
      status: res.headersSent ? res.statusCode : 0,
      completed: res.writableFinished,
      durationMs: Math.round(durationMs * 1000) / 1000,
      canary: exchange.canary,
      bucket: exchange.bucket,
      forced: exchange.forced,
      fallbackFrom: exchange.fallbackFrom,
      fallbackReason: exchange.fallbackReason,
      failure: exchange.failure,
      retryRefused: exchange.retryRefused,
      shadowed: exchange.shadowed,
    },
    'request',
  );
}
