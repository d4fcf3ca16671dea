import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_AUTH_TOKEN_SECRET } from '../config/legacy-config.js';

/**
 * The stateless bearer token of the example: `<userId>.<hex HMAC-SHA256(secret, userId)>`.
 * Any service that knows the secret can check it without the users table.
 */
export function signAuthToken(userId: string, secret: string): string {
  return `${userId}.${signature(userId, secret)}`;
}

/**
 * A ready-to-use bearer token for `userId` (README, tests, the walkthrough), signed with
 * `AUTH_TOKEN_SECRET` from the environment or the example's default secret.
 */
export function mintAuthToken(
  userId: string,
  secret: string = process.env.AUTH_TOKEN_SECRET || DEFAULT_AUTH_TOKEN_SECRET,
): string {
  return signAuthToken(userId, secret);
}

/** Returns the user id the token was minted for, or `null` when it is malformed or forged. */
export function verifyAuthToken(token: string, secret: string): string | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return null;
  const userId = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'utf8');
  const expected = Buffer.from(signature(userId, secret), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return userId;
}

/** Reads the token out of an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

function signature(userId: string, secret: string): string {
  return createHmac('sha256', secret).update(userId).digest('hex');
}
