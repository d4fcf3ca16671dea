import { createHmac, timingSafeEqual } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `<userId>.<hex HMAC-SHA256(secret, userId)>`: stateless, checkable by any service with the secret. */
export function signAuthToken(userId: string, secret: string): string {
  return `${userId}.${hmacHex(userId, secret)}`;
}

/** The user id a token vouches for, or `undefined` when it is malformed or wrongly signed. */
export function verifyAuthToken(token: string, secret: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot < 0) return undefined;
  const userId = token.slice(0, dot);
  const signature = Buffer.from(token.slice(dot + 1), 'utf8');
  if (!UUID.test(userId)) return undefined;
  const expected = Buffer.from(hmacHex(userId, secret), 'utf8');
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    return undefined;
  }
  return userId;
}

/** The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive). */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function hmacHex(userId: string, secret: string): string {
  return createHmac('sha256', secret).update(userId).digest('hex');
}
