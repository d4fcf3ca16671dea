/**
 * The seam between the pipeline and whatever moves bytes to the upstream. The pipeline has
 * already decided WHERE (upstream, normalised path, header list); a core only forwards, so cores
 * can be swapped and benchmarked (`bench/proxy-core`) without touching routing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { CompiledUpstream } from '../rules/compile-rules.js';

export interface OutgoingRequest {
  readonly upstream: CompiledUpstream;
  readonly method: string;
  /** Normalised path plus the original query string, exactly as matched. */
  readonly path: string;
  /** Flat `[name, value, ...]` list, hop-by-hop headers already removed. */
  readonly headers: readonly string[];
  /** Flat list of headers the facade adds to the response (request id, route headers). */
  readonly responseHeaders: readonly string[];
}

/** A failure before any response byte was sent; the pipeline turns it into a JSON 502/504. */
export interface ForwardFailure {
  readonly status: 502 | 504;
  readonly error: 'bad_gateway' | 'gateway_timeout';
  readonly message: string;
}

export interface ProxyCoreOptions {
  /** Give up connecting to an upstream after this long (→ 504). */
  readonly connectTimeoutMs: number;
  /** Give up waiting for the upstream's response headers after this long (→ 504). */
  readonly headersTimeoutMs: number;
  /** Give up when the upstream's body stalls this long between chunks (0 = never). */
  readonly bodyTimeoutMs: number;
}

export interface ProxyCore {
  /**
   * Streams `req` to the upstream and the upstream's response back into `res`, both ways without
   * buffering. Resolves null once done (or once the client went away, after aborting the
   * upstream request), or a `ForwardFailure` when nothing was sent yet. After the response has
   * started, a failure destroys `res`: the client sees a truncated response, never a fake one.
   */
  forwardRequest(
    req: IncomingMessage,
    res: ServerResponse,
    outgoing: OutgoingRequest,
  ): Promise<ForwardFailure | null>;
  /**
   * Called after each rules reload with the origins still in use, so a core can close the
   * connection pools of upstreams that left the file. Optional.
   */
  retainOrigins?(origins: ReadonlySet<string>): void;
  /** Closes idle upstream connections; waits for in-flight requests. */
  close(): Promise<void>;
}

/** True when the client request carries a body that must be streamed upstream. */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}
