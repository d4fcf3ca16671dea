/**
 * Sends one contract request to one side (old or new) with a deadline, and reads the whole
 * response. Network failures become `SideRequestError`s that name the side, the URL and the
 * cause (`connection refused`, `timed out after 10000 ms`...).
 */
import net from 'node:net';
import { Agent, request } from 'undici';

export type Side = 'old' | 'new';

/** A request with every variable already substituted. */
export interface PreparedRequest {
  readonly method: string;
  /** Path and query, starting with "/". */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface ReceivedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly durationMs: number;
}

export class SideRequestError extends Error {
  constructor(
    readonly side: Side,
    readonly url: string,
    readonly reason: string,
  ) {
    super(`${side} side: ${url}: ${reason}`);
    this.name = 'SideRequestError';
  }
}

/** Responses larger than this are cut off with an error (a contract body is small). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** One base URL joined with a request target: `http://h/api` + `/cards` = `http://h/api/cards`. */
export function joinUrl(baseUrl: string, target: string): string {
  return baseUrl.replace(/\/+$/, '') + target;
}

export async function sendRequest(
  dispatcher: Agent,
  side: Side,
  baseUrl: string,
  prepared: PreparedRequest,
): Promise<ReceivedResponse> {
  const url = joinUrl(baseUrl, prepared.target);
  const started = performance.now();
  const signal = AbortSignal.timeout(prepared.timeoutMs);
  try {
    const response = await request(url, {
      method: prepared.method as 'GET',
      headers: prepared.headers,
      body: prepared.body,
      dispatcher,
      signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.body.destroy();
        throw new SideRequestError(side, url, `response larger than ${MAX_RESPONSE_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    return {
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.concat(chunks),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (error instanceof SideRequestError) throw error;
    throw new SideRequestError(
      side,
      `${prepared.method} ${url}`,
      signal.aborted ? `timed out after ${prepared.timeoutMs} ms` : describeNetworkError(error),
    );
  }
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is the service running on this port?)',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the server closed the connection',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the response body stalled',
};

export function describeNetworkError(error: unknown): string {
  // Duck-typed: errors from Node's core can come from another realm (jest's vm), where
  // `instanceof Error` is false.
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isErrorLike(current); depth++) {
    if (typeof current.code === 'string') codes.push(current.code);
    current = current.cause;
  }
  const known = codes.find((code) => NETWORK_CODES[code] !== undefined);
  if (known) return `${NETWORK_CODES[known]} [${known}]`;
  return isErrorLike(error) && typeof error.message === 'string' ? error.message : String(error);
}

function isErrorLike(
  value: unknown,
): value is { code?: unknown; cause?: unknown; message?: unknown } {
  return typeof value === 'object' && value !== null;
}

/**
 * Opens (and closes) one TCP connection to the base URL's host and port: a side that is down is
 * reported once, clearly, before any case runs. Resolves with the problem, or null.
 */
export function probeSide(baseUrl: string, timeoutMs: number): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return Promise.resolve(`"${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve(`"${baseUrl}" must be an http:// or https:// URL`);
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (problem: string | null) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () =>
      done(`no connection to ${host}:${port} within ${timeoutMs} ms`),
    );
    socket.once('connect', () => done(null));
    socket.once('error', (error) =>
      done(`cannot connect to ${host}:${port}: ${describeNetworkError(error)}`),
    );
  });
}
