/**
 * An alternative proxy core on node:http (one keep-alive `Agent` per upstream origin), behind the
 * same `ProxyCore` seam as the default undici core. Kept for comparison (the facade's e2e suite
 * runs against both; `bench/proxy-core` measures them) and as a fallback should undici misbehave.
 */
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';

import { describeFailure, statusFailure } from './forward-request.js';
import {
  hasRequestBody,
  type ForwardFailure,
  type OutgoingRequest,
  type ProxyCore,
  type ProxyCoreOptions,
} from './proxy-core.js';
import { clientResponseHeaders } from './response-headers.js';
import { queueFull, UpstreamPools } from './upstream-connections.js';

interface Target {
  readonly agent: Agent;
  readonly hostname: string;
  readonly port: number;
  readonly host: string;
}

export function createNodeHttpCore(options: ProxyCoreOptions): ProxyCore {
  const targets = new UpstreamPools<Target>(
    (upstream) => {
      const url = new URL(upstream.origin);
      if (url.protocol !== 'http:') throw new Error('the node:http core only speaks http');
      return {
        // beyond maxSockets: the Agent's queue, bounded by the slots
        agent: new Agent({
          keepAlive: true,
          keepAliveMsecs: 1_000,
          timeout: 4_000,
          maxSockets: upstream.connections.max,
        }),
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 80),
        host: url.host,
      };
    },
    (target) => target.agent.destroy(),
  );

  function forwardRequest(
    req: IncomingMessage,
    res: ServerResponse,
    outgoing: OutgoingRequest,
  ): Promise<ForwardFailure | null> {
    const { pool: target, slots } = targets.for(outgoing.upstream);
    if (!slots.tryTake()) return Promise.resolve(queueFull(outgoing.upstream));
    return new Promise((resolve) => {
      let settled = false;
      const settle = (failure: ForwardFailure | null): void => {
        if (settled) return;
        settled = true;
        slots.release();
        clearTimeout(timer);
        res.off('close', onClientGone);
        resolve(failure);
      };
      const fail = (code: string, error?: unknown): void => {
        upstreamReq.destroy();
        if (res.headersSent) {
          res.destroy();
          settle(null);
        } else {
          settle(describeFailure(error ?? { code }, outgoing.upstream, options));
        }
      };

      const upstreamReq = request({
        agent: target.agent,
        hostname: target.hostname,
        port: target.port,
        method: outgoing.method,
        path: outgoing.path,
        headers: [...outgoing.headers, 'host', target.host] as unknown as Record<string, string>,
        setHost: false,
      });
      // Connect + headers budget: the socket must connect and the response head arrive in time.
      let timer = setTimeout(() => fail('UND_ERR_CONNECT_TIMEOUT'), options.connectTimeoutMs);
      upstreamReq.once('socket', (socket) => {
        const connected = (): void => {
          clearTimeout(timer);
          timer = setTimeout(() => fail('UND_ERR_HEADERS_TIMEOUT'), options.headersTimeoutMs);
        };
        if (socket.connecting) socket.once('connect', connected);
        else connected();
      });
      upstreamReq.once('error', (error) => fail('', error));
      upstreamReq.once('response', (upstreamRes) => {
        clearTimeout(timer);
        const status = upstreamRes.statusCode ?? 502;
        if (outgoing.divert5xx === true && status >= 500) {
          upstreamRes.resume();
          settle(statusFailure(outgoing.upstream, status));
          return;
        }
        const capture = outgoing.capture;
        if (capture != null) {
          capture.head(status, upstreamRes.headers);
          upstreamRes.on('data', (chunk: Buffer) => capture.add(chunk));
        }
        res.writeHead(
          upstreamRes.statusCode ?? 502,
          clientResponseHeaders(upstreamRes.headers, outgoing.responseHeaders),
        );
        upstreamRes.pipe(res);
        upstreamRes.once('error', () => fail('ECONNRESET'));
        upstreamRes.once('aborted', () => fail('ECONNRESET'));
        res.once('finish', () => settle(null));
      });

      const onClientGone = (): void => {
        if (res.writableFinished) return;
        upstreamReq.destroy();
        settle(null);
      };
      res.once('close', onClientGone);

      const body = outgoing.body;
      if (body === undefined) {
        if (hasRequestBody(req)) req.pipe(upstreamReq);
        else upstreamReq.end();
      } else if (body === null) upstreamReq.end();
      else if (Buffer.isBuffer(body)) upstreamReq.end(body);
      else {
        // `pipe` does not forward errors: a body stream that fails must end the upstream request
        // too, or it would wait for the rest of a body that never comes. It fails for the size
        // limit (the facade's 413) or because the client went away mid-upload (no failure).
        body.once('error', (error) => {
          if ((error as { code?: unknown }).code === 'BODY_TOO_LARGE') fail('', error);
          else res.destroy(); // its 'close' ends the exchange (onClientGone)
        });
        body.pipe(upstreamReq);
      }
    });
  }

  return {
    forwardRequest,
    retainUpstreams(upstreams) {
      targets.retain(upstreams);
    },
    async close() {
      for (const target of targets.drain()) target.agent.destroy();
    },
  };
}
