/**
 * The facade's default undici core (`strangler-facade/src/proxy/forward-request.ts`,
 * `createUndiciCore`) with ONE change, to measure the fix the profile suggests
 * (docs/benchmarks.md, Profile) before it is applied to the facade: the per-request
 * `AbortController` that cancels the upstream request when the client goes away is replaced by a
 * plain `EventEmitter` emitting `abort` (undici's `signal` option takes either). Everything else
 * is a verbatim copy; the facade child uses it with `startFacade({ createCore })`.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { Pool } from 'undici';

import {
  CapturingWritable,
  DiscardWritable,
} from '../../strangler-facade/src/proxy/response-capture.js';
import {
  hasRequestBody,
  type ForwardFailure,
  type OutgoingRequest,
  type ProxyCore,
  type ProxyCoreOptions,
} from '../../strangler-facade/src/proxy/proxy-core.js';
import { clientResponseHeaders } from '../../strangler-facade/src/proxy/response-headers.js';
import {
  describeFailure,
  statusFailure,
} from '../../strangler-facade/src/proxy/forward-request.js';

/** An abort signal for undici that costs one small object (no EventTarget, no AbortSignal). */
class ClientGone extends EventEmitter {
  aborted = false;
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

export function createPatchedUndiciCore(options: ProxyCoreOptions): ProxyCore {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs,
        keepAliveTimeout: 4_000,
      });
      pools.set(origin, pool);
    }
    return pool;
  };

  async function forwardRequest(
    req: IncomingMessage,
    res: ServerResponse,
    outgoing: OutgoingRequest,
  ): Promise<ForwardFailure | null> {
    // THE CHANGE: an EventEmitter as undici's abort signal instead of an AbortController.
    const abort = new ClientGone();
    const onClientGone = (): void => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClientGone);
    let diverted = 0;
    try {
      await poolFor(outgoing.upstream.origin).stream(
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
      if (res.headersSent) {
        res.destroy();
        return null;
      }
      return describeFailure(error, outgoing.upstream, options);
    } finally {
      res.off('close', onClientGone);
    }
  }

  return {
    forwardRequest,
    retainOrigins(origins) {
      for (const [origin, pool] of pools) {
        if (origins.has(origin)) continue;
        pools.delete(origin);
        void pool.close(); // lets requests already on it finish
      }
    },
    async close() {
      const closing = [...pools.values()].map((pool) => pool.close());
      pools.clear();
      await Promise.allSettled(closing);
    },
  };
}
