/**
 * What rule conditions and sticky keys read from one request: headers (internal ones hidden from
 * untrusted clients), cookies and query parameters. Cookies and the query string are parsed on
 * first use only, so a request that no conditional rule looks at pays nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';

export class RequestFacts {
  #cookies: Map<string, string> | null = null;
  #query: URLSearchParams | null = null;

  constructor(
    readonly headers: IncomingHttpHeaders,
    /** The query string including `?`, or ''. */
    readonly search: string,
    /** Whether the client may send internal headers (`settings.trustedClients`). */
    readonly trustedClient: boolean,
    /** Client address (IPv4-mapped IPv6 unwrapped), or '' when unknown. */
    readonly clientAddress: string,
  ) {}

  /** A header value (repeated headers joined with ", "), or undefined. */
  header(name: string, internal = false): string | undefined {
    if (internal && !this.trustedClient) return undefined;
    const value = this.headers[name];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : value.join(', ');
  }

  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookies(this.headers.cookie);
    return this.#cookies.get(name);
  }

  query(name: string): string | undefined {
    this.#query ??= new URLSearchParams(this.search);
    return this.#query.get(name) ?? undefined;
  }
}

/** `a=1; b="2"` → Map; the first occurrence of a name wins (as browsers order them). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined || header === '') return cookies;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    const name = part.slice(0, equals).trim();
    if (name === '' || cookies.has(name)) continue;
    let value = part.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as sent
    }
    cookies.set(name, value);
  }
  return cookies;
}
