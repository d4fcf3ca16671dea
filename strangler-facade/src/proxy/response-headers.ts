/**
 * The header list sent back to the client: the upstream's end-to-end headers (hop-by-hop ones
 * removed, `Set-Cookie` and other repeated headers kept one per line), then the facade's own
 * (`X-Request-Id`, `X-Strangler-Route`, `X-Strangler-Upstream`), which replace any the upstream
 * sent.
 */
import type { IncomingHttpHeaders } from 'node:http';

import { connectionTokens, isConnectionScoped } from '../request/hop-by-hop.js';

const FACADE_OWNED = new Set(['x-request-id', 'x-strangler-route', 'x-strangler-upstream']);

export function clientResponseHeaders(
  upstreamHeaders: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  facadeHeaders: readonly string[],
): string[] {
  const tokens = connectionTokens(upstreamHeaders.connection);
  const out: string[] = [];
  for (const name in upstreamHeaders) {
    const value = upstreamHeaders[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (FACADE_OWNED.has(lower) || isConnectionScoped(lower, tokens)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  for (let index = 0; index < facadeHeaders.length; index += 1) out.push(facadeHeaders[index]);
  return out;
}
