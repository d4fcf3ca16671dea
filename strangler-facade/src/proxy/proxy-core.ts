/**
 * The seam between the pipeline and whatever moves bytes to the upstream. The pipeline has
 * already decided WHERE (upstream, normalised path, header list); a core only forwards, so cores
 * can be swapped and benchmarked (`bench/proxy-core`) without touching routing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

import type { CompiledUpstream } from '../rules/compile-rules.js';
import type { ResponseCapture } from './response-capture.js';

export interface OutgoingRequest {
  readonly upstream: CompiledUpstream;
  readonly method: string;
  /** Normalised path plus the original query string, exactly as matched. */
  readonly path: string;
  /** Flat `[name, value, ...]` list, hop-by-hop headers already removed. */
  readonly headers: readonly string[];
  /** Flat list of headers the facade adds to the response (request id, route headers). */
  readonly responseHeaders: readonly string[];
  /**
   * A body to send instead of streaming the client request: a buffered copy (so a fallback can
   * replay it) or a stream that replays buffered chunks then the rest. Undefined = stream `req`.
   */
  readonly body?: Buffer | Readable | null;
  /**
   * When true, a 5xx answer is NOT passed to the client: its body is discarded and the call
   * resolves a `status` failure, so the pipeline can retry on the fallback.
   */
  readonly divert5xx?: boolean;
  /** Copies the response head and first bytes while streaming (shadow comparison). */
  readonly capture?: ResponseCapture | null;
}

/**
 * What went wrong. Caused by the upstream (what a circuit breaker and a rollout count):
 * `connect` (nothing was sent: refused, unreachable, connect timeout), `timeout` (sent, no
 * response head in time), `reset` (connection lost before a response head), `status` (a
 * diverted 5xx answer). Not the upstream's doing (never counted against it): `circuit-open`
 * (not sent: its breaker is open), `body-refused` (the facade cut the request because the
 * client's body went over the size limit), `queue-full` (not sent: every connection to the
 * upstream busy and its queue full, `upstream-connections.ts`). See `resilience/upstream-fault.ts`.
 */
export type FailureKind =
  'connect' | 'timeout' | 'reset' | 'status' | 'circuit-open' | 'body-refused' | 'queue-full';

/** A failure before any response byte was sent; the pipeline turns it into a JSON error. */
export interface ForwardFailure {
  readonly status: 413 | 502 | 503 | 504;
  readonly error: 'bad_gateway' | 'gateway_timeout' | 'service_unavailable' | 'payload_too_large';
  readonly message: string;
  readonly kind: FailureKind;
  /** For `status` failures: what the upstream answered. */
  readonly upstreamStatus?: number;
  /** Sent as `Retry-After` (a refusal the client may simply retry later). */
  readonly retryAfterSeconds?: number;
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
   * Called after each rules reload with the upstreams now in the file, so a core can close the
   * connection pools of upstreams that left it (or whose connection cap changed). Optional.
   */
  retainUpstreams?(upstreams: readonly CompiledUpstream[]): void;
  /** Closes idle upstream connections; waits for in-flight requests. */
  close(): Promise<void>;
}

/** True when the client request carries a body that must be streamed upstream. */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}
