/**
 * The header list sent upstream: the client's end-to-end headers in their original order and
 * casing, minus hop-by-hop headers, `Host` (the upstream gets its own), `Expect` (the facade
 * answers `100-continue` itself), and the headers the facade owns, which it then sets:
 * `X-Request-Id`, `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`, `Forwarded`, and
 * (when given) `traceparent`.
 *
 * Invariant: a client cannot speak for the facade or for a proxy in front of it.
 * - The facade's namespace `X-Strangler-*` and the configured internal headers
 *   (`settings.internalHeaders`) are dropped from untrusted clients, so a client cannot pick an
 *   upstream or a cohort for itself; trusted clients (`settings.trustedClients`) keep them. The
 *   shadow marker `X-Strangler-Shadow` is dropped from every client: only the facade's own
 *   shadow copies carry it, so an upstream can tell them from real traffic.
 * - Headers that only a proxy sets (`X-Forwarded-Port/-Prefix/-Server`, `X-Original-URL`,
 *   `X-Rewrite-URL`, `True-Client-IP`, `CF-Connecting-IP`, `X-Client-IP`, `X-Real-IP`, and the
 *   scheme hints frameworks read) pass only from a trusted proxy (`settings.trustedProxies`);
 *   frameworks use them to rebuild URLs, pick the route (`X-Original-URL` in IIS/Symfony) or
 *   the client address.
 * - Client-sent forwarding headers are overwritten with what the facade saw. Only when the peer
 *   is a trusted proxy is the facade's hop appended to the client's `X-Forwarded-For` /
 *   `Forwarded` (as nginx's `$proxy_add_x_forwarded_for`), and its `X-Forwarded-Proto/-Host`
 *   kept; the client address is then the last untrusted hop of `X-Forwarded-For` (nginx
 *   `realip` with `real_ip_recursive on`, `clientAddressOf`).
 */
import type { BlockList } from 'node:net';
import { isIP } from 'node:net';

import { connectionTokens, isConnectionScoped } from './hop-by-hop.js';

export interface ClientConnection {
  /** The TCP peer, e.g. `127.0.0.1` or `::1` (IPv4-mapped IPv6 is unwrapped). */
  readonly remoteAddress: string | undefined;
  /** Whether the facade's own listener was TLS. */
  readonly encrypted: boolean;
}

/** The facade's header namespace (lower-case prefix). */
export const FACADE_HEADER_PREFIX = 'x-strangler-';

/** Marks the facade's shadow copies; never accepted from a client. */
export const SHADOW_MARKER = 'x-strangler-shadow';

/** Headers the facade sets itself; a client's copies are dropped (or, if trusted, merged). */
const OWNED = new Set([
  'host',
  'expect',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  SHADOW_MARKER,
]);

/** Set by proxies in front of the facade; from anyone else, dropped. */
const PROXY_ONLY = new Set([
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-original-url',
  'x-rewrite-url',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'x-real-ip',
  'x-forwarded-scheme',
  'x-forwarded-ssl',
  'x-url-scheme',
  'front-end-https',
]);

/** Whether a lower-case header name is internal: the facade's namespace or a configured one. */
export function isInternalHeader(lowerName: string, configured: ReadonlySet<string>): boolean {
  return lowerName.startsWith(FACADE_HEADER_PREFIX) || configured.has(lowerName);
}

/**
 * Builds the flat `[name, value, name, value, ...]` header list for the upstream request.
 * `rawHeaders` is Node's `IncomingMessage#rawHeaders`; `headers` its lower-cased `headers`.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  headers: Readonly<Record<string, string | string[] | undefined>>,
  connection: ClientConnection,
  requestId: string,
  /** Peers whose forwarding headers are kept and appended to; null = nobody. */
  trustedProxies: BlockList | null,
  /** The facade's W3C traceparent (replaces the client's); omitted = the client's passes. */
  traceparent?: string,
  /** An untrusted client's internal headers (`settings.internalHeaders`), dropped together with
   * `X-Strangler-*`; null or omitted when the client is trusted (`settings.trustedClients`). */
  untrustedInternal?: ReadonlySet<string> | null,
): string[] {
  const tokens = connectionTokens(headers.connection);
  const peer = unwrapMappedIPv4(connection.remoteAddress);
  const trusted = trustedProxies !== null && peer !== undefined && isTrusted(trustedProxies, peer);
  const out: string[] = [];
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    const lower = name.toLowerCase();
    if (OWNED.has(lower) || isConnectionScoped(lower, tokens)) continue;
    if (untrustedInternal != null && isInternalHeader(lower, untrustedInternal)) continue;
    if (!trusted && PROXY_ONLY.has(lower)) continue;
    if (traceparent !== undefined && lower === 'traceparent') continue;
    out.push(name, rawHeaders[index + 1]);
  }
  if (traceparent !== undefined) out.push('traceparent', traceparent);

  const proto = connection.encrypted ? 'https' : 'http';
  const host = single(headers.host);
  const forwardedElement =
    forwardedPair('for', peer ?? 'unknown', true) +
    (host !== undefined ? ';' + forwardedPair('host', host, false) : '') +
    ';proto=' +
    proto;

  out.push('x-request-id', requestId);
  if (trusted) {
    const clientFor = joined(headers['x-forwarded-for']);
    out.push('x-forwarded-for', clientFor ? `${clientFor}, ${peer}` : peer);
    const clientProto = single(headers['x-forwarded-proto']);
    out.push(
      'x-forwarded-proto',
      clientProto === 'http' || clientProto === 'https' ? clientProto : proto,
    );
    const clientHost = single(headers['x-forwarded-host']) ?? host;
    if (clientHost !== undefined) out.push('x-forwarded-host', clientHost);
    const clientForwarded = joined(headers.forwarded);
    out.push(
      'forwarded',
      clientForwarded ? `${clientForwarded}, ${forwardedElement}` : forwardedElement,
    );
  } else {
    out.push('x-forwarded-for', peer ?? 'unknown');
    out.push('x-forwarded-proto', proto);
    if (host !== undefined) out.push('x-forwarded-host', host);
    out.push('forwarded', forwardedElement);
  }
  return out;
}

/**
 * The client's address: the peer, or, when the peer is a trusted proxy, the right-most address
 * of `X-Forwarded-For` that is not itself a trusted proxy (the left-most when all are). A
 * malformed entry ends the walk at the last good address, so a client cannot inject one.
 */
export function clientAddressOf(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: BlockList | null,
): string {
  const peer = unwrapMappedIPv4(remoteAddress) ?? '';
  if (trustedProxies === null || peer === '' || !isTrusted(trustedProxies, peer)) return peer;
  const hops = joined(forwardedFor)?.split(',') ?? [];
  let client = peer;
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    const hop = unwrapMappedIPv4(hops[index]?.trim()) ?? '';
    if (isIP(hop) === 0) break;
    client = hop;
    if (!isTrusted(trustedProxies, hop)) break;
  }
  return client;
}

export function unwrapMappedIPv4(address: string | undefined): string | undefined {
  return address !== undefined && address.startsWith('::ffff:') && address.includes('.')
    ? address.slice(7)
    : address;
}

function isTrusted(list: BlockList, peer: string): boolean {
  return list.check(peer, peer.includes(':') ? 'ipv6' : 'ipv4');
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function joined(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One RFC 7239 `name=value` pair; IPv6 `for` values are bracketed and quoted. */
function forwardedPair(name: string, value: string, isNode: boolean): string {
  const printed = isNode && value.includes(':') ? `[${value}]` : value;
  return TOKEN.test(printed)
    ? `${name}=${printed}`
    : `${name}="${printed.replace(/["\\]/g, '\\$&')}"`;
}
