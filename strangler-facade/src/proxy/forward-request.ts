/**
 * The default proxy core, on undici: one keep-alive `Pool` per upstream origin (and connection
 * cap: `upstream-connections.ts`), created on first use and reused across rule reloads; `Pool#stream` pipes the upstream body straight into the
 * client response (backpressure both ways, no buffering). A client that goes away aborts the
 * upstream request through undici's `signal` option, so nothing keeps reading from the upstream
 * for nobody; the signal is a `ClientGone` emitter, not an `AbortController` (see client-gone.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { Pool } from 'undici';

import type { CompiledUpstream } from '../rules/compile-rules.js';
import { ClientGone } from './client-gone.js';
import { CapturingWritable, DiscardWritable } from './response-capture.js';
import {
  hasRequestBody,
  type ForwardFailure,
  type OutgoingRequest,
  type ProxyCore,
  type ProxyCoreOptions,
} from './proxy-core.js';
import { clientResponseHeaders } from './response-headers.js';
import { queueFull, UpstreamPools } from './upstream-connections.js';

export function createUndiciCore(options: ProxyCoreOptions): ProxyCore {
  const pools = new UpstreamPools<Pool>(
    (upstream) =>
      new Pool(upstream.origin, {
        connections: upstream.connections.max, // beyond: undici's queue, bounded by the slots
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs,
        keepAliveTimeout: 4_000,
      }),
    (pool) => void pool.close(), // lets requests already on it finish
  );

  async function forwardRequest(
    req: IncomingMessage,
    res: ServerResponse,
    outgoing: OutgoingRequest,
  ): Promise<ForwardFailure | null> {
    const { pool, slots } = pools.for(outgoing.upstream);
    if (!slots.tryTake()) return queueFull(outgoing.upstream);
    const abort = new ClientGone();
    const onClientGone = (): void => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClientGone);
    let diverted = 0;
    try {
      await pool.stream(
        {
          path: outgoing.path,
          method: outgoing.method,
          headers: outgoing.headers as string[],
          body: outgoing.body !== undefined ? outgoing.body : hasRequestBody(req) ? req : null,
          signal: abort,
        },
        ({ statusCode, headers }) => {
          if (outgoing.divert5xx === true && statusCode >= 500) {
            diverted = statusCode;
            return new DiscardWritable();
          }
          res.writeHead(statusCode, clientResponseHeaders(headers, outgoing.responseHeaders));
          const capture = outgoing.capture;
          if (capture == null) return res;
          capture.head(statusCode, headers);
          return new CapturingWritable(res, capture);
        },
      );
      if (diverted !== 0) return statusFailure(outgoing.upstream, diverted);
      return null;
    } catch (error) {
      if (diverted !== 0 && !abort.aborted) {
        return statusFailure(outgoing.upstream, diverted);
      }
      if (abort.aborted) return null;
      if (req.destroyed && !req.complete) {
        // the client broke off mid-upload (its 'close' not seen yet): not the upstream's failure
        res.destroy();
        return null;
      }
      if (res.headersSent) {
        res.destroy();
        return null;
      }
      return describeFailure(error, outgoing.upstream, options);
    } finally {
      slots.release();
      res.off('close', onClientGone);
    }
  }

  return {
    forwardRequest,
    retainUpstreams(upstreams) {
      pools.retain(upstreams);
    },
    async close() {
      await Promise.allSettled(pools.drain().map((pool) => pool.close()));
    },
  };
}

/** A diverted 5xx answer, as the failure the pipeline may fall back on. */
export function statusFailure(upstream: CompiledUpstream, status: number): ForwardFailure {
  return {
    status: 502,
    error: 'bad_gateway',
    message: `upstream "${upstream.name}" (${upstream.origin}) answered ${status}`,
    kind: 'status',
    upstreamStatus: status,
  };
}

/** Maps a transport error to the status and message the client sees. */
export function describeFailure(
  error: unknown,
  upstream: CompiledUpstream,
  options: ProxyCoreOptions,
): ForwardFailure {
  const code = (error as { code?: unknown }).code;
  const where = `upstream "${upstream.name}" (${upstream.origin})`;
  switch (code) {
    case 'BODY_TOO_LARGE': // the facade's own limit cut the request (`request/request-body.ts`)
      return {
        status: 413,
        error: 'payload_too_large',
        message: (error as Error).message,
        kind: 'body-refused',
      };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return {
        status: 504,
        error: 'gateway_timeout',
        message: `${where} did not accept a connection within ${options.connectTimeoutMs} ms`,
        kind: 'connect',
      };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return {
        status: 504,
        error: 'gateway_timeout',
        message: `${where} sent no response headers within ${options.headersTimeoutMs} ms`,
        kind: 'timeout',
      };
    case 'ECONNREFUSED':
      return {
        status: 502,
        error: 'bad_gateway',
        message: `${where} refused the connection`,
        kind: 'connect',
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        status: 502,
        error: 'bad_gateway',
        message: `${where} is unreachable (${code})`,
        kind: 'connect',
      };
    default: {
      const detail = error instanceof Error ? error.message : String(error);
      return {
        status: 502,
        error: 'bad_gateway',
        message: `${where} failed: ${detail}`,
        kind: 'reset',
      };
    }
  }
}
