/**
 * The header list sent upstream: the client's end-to-end headers in their original order and
 * casing, minus hop-by-hop headers, `Host` (the upstream gets its own), `Expect` (the facade
 * answers `100-continue` itself), and the headers the facade owns, which it then sets:
 * `X-Request-Id`, `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`, `Forwarded`, and
 * (when given) `traceparent`. Internal headers (`settings.internalHeaders`) of untrusted clients
 * are dropped: a client cannot pick an upstream or a test cohort for itself.
 *
 * Client-sent forwarding headers are NOT trusted: they are overwritten with what the facade saw.
 * Only when the peer is a trusted proxy (`settings.trustedProxies`) is the facade's hop appended
 * to the client's `X-Forwarded-For` / `Forwarded`, and its `X-Forwarded-Proto/-Host` kept.
 */
import type { BlockList } from 'node:net';

import { connectionTokens, isConnectionScoped } from './hop-by-hop.js';

export interface ClientConnection {
  /** The TCP peer, e.g. `127.0.0.1` or `::1` (IPv4-mapped IPv6 is unwrapped). */
  readonly remoteAddress: string | undefined;
  /** Whether the facade's own listener was TLS. */
  readonly encrypted: boolean;
}

/** Headers the facade sets itself; a client's copies are dropped (or, if trusted, merged). */
const OWNED = new Set([
  'host',
  'expect',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'forwarded',
]);

/**
 * Builds the flat `[name, value, name, value, ...]` header list for the upstream request.
 * `rawHeaders` is Node's `IncomingMessage#rawHeaders`; `headers` its lower-cased `headers`.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  headers: Readonly<Record<string, string | string[] | undefined>>,
  connection: ClientConnection,
  requestId: string,
  trustedProxies: BlockList | null,
  /** The facade's W3C traceparent (replaces the client's); omitted = the client's passes. */
  traceparent?: string,
  /** Internal headers of an untrusted client (`settings.internalHeaders`), dropped. */
  dropHeaders?: ReadonlySet<string> | null,
): string[] {
  const tokens = connectionTokens(headers.connection);
  const out: string[] = [];
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    const lower = name.toLowerCase();
    if (OWNED.has(lower) || isConnectionScoped(lower, tokens)) continue;
    if (dropHeaders?.has(lower) === true) continue;
    if (traceparent !== undefined && lower === 'traceparent') continue;
    out.push(name, rawHeaders[index + 1]);
  }
  if (traceparent !== undefined) out.push('traceparent', traceparent);

  const peer = unwrapMappedIPv4(connection.remoteAddress);
  const proto = connection.encrypted ? 'https' : 'http';
  const host = single(headers.host);
  const trusted = trustedProxies !== null && peer !== undefined && isTrusted(trustedProxies, peer);
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
