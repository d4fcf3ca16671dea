/**
 * Sticky canary assignment: rule name + sticky key → a bucket in [0, 10000). A request goes to
 * the canary iff `bucket < percent * 100`, so raising 5 → 10 keeps the first 5% where they were,
 * and every facade replica (and every restart) agrees: the hash is FNV-1a over the UTF-16 code
 * units with a murmur3 finaliser for avalanche, no randomness, no state. No allocation.
 */
import type { IncomingHttpHeaders } from 'node:http';

import type { RequestFacts } from '../request/request-facts.js';
import type { CompiledCanary } from '../rules/compile-rules.js';

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
    case 'clientAddress':
      break;
  }
  return key !== undefined && key !== '' ? key : facts.clientAddress;
}

/**
 * The `sub` claim of a bearer JWT, decoded WITHOUT verifying the signature: it only picks a
 * bucket (a forged `sub` buys a user nothing but the other side of a split). Undefined when the
 * token is not a JWT with a string or number `sub`.
 */
export function bearerUser(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = authorization.slice(7).trim();
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
