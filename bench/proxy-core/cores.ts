/**
 * The candidate proxy cores. Each one does the same essential work:
 *  - forward method, path and headers (minus hop-by-hop) to the single upstream origin,
 *  - stream the request body up and the response body down (no buffering),
 *  - reuse upstream connections (keep-alive pool, no connection cap),
 *  - answer 502 when the upstream fails before the response started.
 * Abort propagation (client goes away => upstream request is cancelled) is done the
 * idiomatic way for each API; http-proxy is used as shipped, with no extra wiring.
 * Request bodies are piped (`req.pipe(...)` / undici `body: req`); GET/HEAD without
 * content-length or transfer-encoding send no body.
 */
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import httpProxy from 'http-proxy';
import { Dispatcher, Pool } from 'undici';
import { CoreName, failResponse, stripHopByHop } from './common.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Core {
  handler: Handler;
  close(): Promise<void>;
}

function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
  );
}

/** (1) http-proxy `web()` with a keep-alive agent. */
function httpProxyCore(upstream: URL): Core {
  const agent = new http.Agent({ keepAlive: true });
  const proxy = httpProxy.createProxyServer({ target: upstream.origin, agent });
  proxy.on('error', (err, _req, res) => {
    if (res instanceof ServerResponse) failResponse(res, err);
    else res.destroy();
  });
  return {
    handler: (req, res) => proxy.web(req, res),
    close: async () => {
      proxy.close();
      agent.destroy();
    },
  };
}

/**
 * (2) node:http client with a keep-alive `http.Agent`, piping both ways.
 * `.pipe()` rather than `stream.pipeline()`: in an A/B on this machine pipeline() cost the
 * proxy noticeably more CPU per request (see docs/benchmarks/proxy-core.md); aborts and
 * errors are propagated explicitly instead.
 */
function nodeHttpCore(upstream: URL): Core {
  const agent = new http.Agent({ keepAlive: true });
  const handler: Handler = (req, res) => {
    const upReq = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: stripHopByHop(req.headers),
      agent,
    });
    // Client went away before we finished answering: cancel the upstream exchange.
    res.on('close', () => {
      if (!res.writableFinished) upReq.destroy();
    });
    upReq.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, stripHopByHop(upRes.headers));
      // Upstream died mid-body: cut the client connection so it sees a truncated response.
      upRes.on('error', (err) => res.destroy(err));
      upRes.pipe(res);
    });
    upReq.on('error', (err) => failResponse(res, err));
    req.on('error', () => upReq.destroy());
    req.pipe(upReq);
  };
  return { handler, close: async () => agent.destroy() };
}

/**
 * Extra, not in the default run (`--only node-http,node-http-pipeline`): core (2) written
 * with `stream.pipeline()` both ways, kept to re-check the pipeline() vs pipe() cost.
 */
function nodeHttpPipelineCore(upstream: URL): Core {
  const agent = new http.Agent({ keepAlive: true });
  const handler: Handler = (req, res) => {
    const upReq = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: stripHopByHop(req.headers),
      agent,
    });
    res.on('close', () => {
      if (!res.writableFinished) upReq.destroy();
    });
    upReq.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, stripHopByHop(upRes.headers));
      pipeline(upRes, res, () => undefined);
    });
    upReq.on('error', (err) => failResponse(res, err));
    pipeline(req, upReq, () => undefined);
  };
  return { handler, close: async () => agent.destroy() };
}

function requestOptions(req: IncomingMessage, signal: AbortSignal): Dispatcher.RequestOptions {
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: stripHopByHop(req.headers),
    body: hasBody(req) ? req : null,
    signal,
  };
}

/** Aborts the returned signal when the client disconnects before the response finished. */
function clientAbortSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** (3) undici `Pool.request()`, piping the response body into the ServerResponse. */
function undiciRequestCore(upstream: URL): Core {
  const pool = new Pool(upstream.origin);
  const handler: Handler = (req, res) => {
    pool.request(requestOptions(req, clientAbortSignal(res))).then(
      ({ statusCode, headers, body }) => {
        res.writeHead(statusCode, stripHopByHop(headers));
        body.on('error', (err) => res.destroy(err));
        body.pipe(res);
      },
      (err: Error) => failResponse(res, err),
    );
  };
  return { handler, close: () => pool.close() };
}

/** (4) undici `Pool.stream()`, writing the upstream body straight into the ServerResponse. */
function undiciStreamCore(upstream: URL): Core {
  const pool = new Pool(upstream.origin);
  const handler: Handler = (req, res) => {
    pool.stream(
      requestOptions(req, clientAbortSignal(res)),
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, stripHopByHop(headers));
        return res;
      },
      (err) => {
        if (err) failResponse(res, err);
      },
    );
  };
  return { handler, close: () => pool.close() };
}

export function createCore(name: CoreName, upstream: URL): Core {
  switch (name) {
    case 'http-proxy':
      return httpProxyCore(upstream);
    case 'node-http':
      return nodeHttpCore(upstream);
    case 'undici-request':
      return undiciRequestCore(upstream);
    case 'undici-stream':
      return undiciStreamCore(upstream);
    case 'node-http-pipeline':
      return nodeHttpPipelineCore(upstream);
  }
}
