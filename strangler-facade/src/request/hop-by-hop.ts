/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded, in
 * either direction: the fixed list, any `Proxy-*` header, and every header the `Connection`
 * header names. Names are compared lower-case (Node lower-cases `IncomingMessage#headers`).
 */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** True for a lower-case header name that must not cross the facade. */
export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName) || lowerName.startsWith('proxy-');
}

/** Lower-case header names listed in a `Connection` header value, or null when there are none. */
export function connectionTokens(
  value: string | readonly string[] | undefined,
): ReadonlySet<string> | null {
  if (value === undefined) return null;
  const joined = typeof value === 'string' ? value : value.join(',');
  let tokens: Set<string> | null = null;
  for (const raw of joined.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '' || token === 'close' || token === 'keep-alive') continue;
    (tokens ??= new Set()).add(token);
  }
  return tokens;
}

/** True when `lowerName` must be dropped given the message's `Connection` tokens. */
export function isConnectionScoped(lowerName: string, tokens: ReadonlySet<string> | null): boolean {
  return isHopByHop(lowerName) || (tokens !== null && tokens.has(lowerName));
}
