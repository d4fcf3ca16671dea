/**
 * Sticky canary assignment: rule name + sticky key → a bucket in [0, 10000). A request goes to
 * the canary iff `bucket < percent * 100`, so raising 5 → 10 keeps the first 5% where they were,
 * and every facade replica (and every restart) agrees: the hash is FNV-1a over the UTF-16 code
 * units with a murmur3 finaliser for avalanche, no randomness, no state. No allocation.
 */
import type { IncomingHttpHeaders } from 'node:http';

import type { RequestFacts } from '../request/request-facts.js';
import type { CompiledCanary } from '../rules/compile-rules.js';
import type { StickyByConfig } from '../rules/rule-schema.js';

export const BUCKETS = 10_000;

export function stickyBucket(ruleName: string, key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < ruleName.length; index += 1) {
    hash = Math.imul(hash ^ ruleName.charCodeAt(index), 0x01000193);
  }
  hash = Math.imul(hash ^ 0, 0x01000193); // separator: ("ab","c") ≠ ("a","bc")
  for (let index = 0; index < key.length; index += 1) {
    hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % BUCKETS;
}

/** The sticky key the canary declares; the client address when the request lacks it. */
export function stickyKey(canary: CompiledCanary, facts: RequestFacts): string {
  return requestStickyKey(canary, facts) ?? facts.clientAddress;
}

/** The sticky key the canary declares as this request carries it, or undefined (absent, empty). */
export function requestStickyKey(canary: CompiledCanary, facts: RequestFacts): string | undefined {
  let key: string | undefined;
  switch (canary.stickyKind) {
    case 'header':
      key = facts.header(canary.stickyName);
      break;
    case 'cookie':
      key = facts.cookie(canary.stickyName);
      break;
    case 'bearerUser':
      key = bearerUser(facts.headers);
      break;
    case 'bearerToken':
      key = bearerTokenUser(facts.headers, canary.stickyPattern);
      break;
    case 'clientAddress':
      break;
  }
  return key !== undefined && key !== '' ? key : undefined;
}

/** Where a canary's sticky key comes from, as text: `header x-user-id`, `bearerToken /^([^.]+)\./`. */
export function stickyText(stickyBy: StickyByConfig): string {
  if ('header' in stickyBy) return `header ${stickyBy.header.toLowerCase()}`;
  if ('cookie' in stickyBy) return `cookie ${stickyBy.cookie}`;
  if ('bearerToken' in stickyBy) return `bearerToken /${stickyBy.bearerToken.regex}/`;
  if ('bearerUser' in stickyBy) return 'bearerUser';
  return 'clientAddress';
}

/** The bearer token of an `Authorization: Bearer <token>` header, or undefined. */
function bearerTokenOf(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  return authorization.slice(7).trim();
}

/**
 * The user part of an opaque bearer token (`<user id>.<signature>` and the like): the first
 * capture group of `pattern`, else its whole match; undefined when it does not match. Not
 * verified, for the same reason as `bearerUser`.
 */
export function bearerTokenUser(
  headers: IncomingHttpHeaders,
  pattern: RegExp | null,
): string | undefined {
  const token = bearerTokenOf(headers);
  if (token === undefined || pattern === null) return undefined;
  const match = pattern.exec(token);
  if (match === null) return undefined;
  return match[1] ?? match[0];
}

/**
 * The `sub` claim of a bearer JWT, decoded WITHOUT verifying the signature: it only picks a
 * bucket (a forged `sub` buys a user nothing but the other side of a split). Undefined when the
 * token is not a JWT with a string or number `sub`.
 */
export function bearerUser(headers: IncomingHttpHeaders): string | undefined {
  const token = bearerTokenOf(headers);
  if (token === undefined) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 1 || second < 0) return undefined;
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'),
    );
    if (typeof payload !== 'object' || payload === null) return undefined;
    const sub = (payload as { sub?: unknown }).sub;
    return typeof sub === 'string' || typeof sub === 'number' ? `sub:${sub}` : undefined;
  } catch {
    return undefined;
  }
}
