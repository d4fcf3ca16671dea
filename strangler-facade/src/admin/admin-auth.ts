/**
 * The admin plane's one rule of access. Invariant: nothing but liveness (`/health`) is answered
 * without a bearer token, because reads show stored requests, the rules and the metrics.
 *
 * - `STRANGLER_ADMIN_TOKEN` (write token) allows reads and changes;
 * - `STRANGLER_ADMIN_READ_TOKEN` (optional) allows reads only, e.g. for a Prometheus scraper or a
 *   dashboard;
 * - with no token configured the plane is locked (403 naming the variables), never open.
 *
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, against both configured tokens
 * every time, so neither the length nor the content of a guess shows in the answer time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AdminAccess = 'read' | 'write';

export interface AdminTokens {
  /** Reads and changes (`STRANGLER_ADMIN_TOKEN`). */
  readonly write?: string | undefined;
  /** Reads only (`STRANGLER_ADMIN_READ_TOKEN`). */
  readonly read?: string | undefined;
}

export type AdminAuthResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export type AdminAuthorizer = (req: IncomingMessage, access: AdminAccess) => AdminAuthResult;

const LOCKED =
  'the admin plane is locked: set STRANGLER_ADMIN_TOKEN (read and change) or ' +
  'STRANGLER_ADMIN_READ_TOKEN (read only) on the facade, and send it as Authorization: Bearer <token>';
const CHANGES_DISABLED = 'admin changes are disabled: set STRANGLER_ADMIN_TOKEN to enable them';
const READ_ONLY =
  'this token may only read (STRANGLER_ADMIN_READ_TOKEN); changes need STRANGLER_ADMIN_TOKEN';
const WRONG = 'missing or wrong bearer token (Authorization: Bearer <token>)';

export function createAdminAuth(tokens: AdminTokens): AdminAuthorizer {
  const write = digestOf(tokens.write);
  const read = digestOf(tokens.read);
  // Compared against when a token is not configured, so every check costs the same.
  const absent = createHash('sha256').update('\0not configured').digest();
  return (req, access) => {
    if (write === null && read === null) return refused(403, LOCKED);
    if (access === 'write' && write === null) return refused(403, CHANGES_DISABLED);
    const given = bearerToken(req.headers.authorization);
    if (given === undefined) return refused(401, WRONG);
    const digest = createHash('sha256').update(given).digest();
    const isWrite = timingSafeEqual(digest, write ?? absent) && write !== null;
    const isRead = timingSafeEqual(digest, read ?? absent) && read !== null;
    if (isWrite) return { ok: true };
    if (isRead) return access === 'read' ? { ok: true } : refused(403, READ_ONLY);
    return refused(401, WRONG);
  };
}

/** Whether changes through the admin API are possible at all (shown in `/status`). */
export function adminChangesEnabled(tokens: AdminTokens): boolean {
  return digestOf(tokens.write) !== null;
}

function bearerToken(header: string | undefined): string | undefined {
  const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  return token === '' ? undefined : token;
}

function digestOf(token: string | undefined): Buffer | null {
  return token !== undefined && token !== '' ? createHash('sha256').update(token).digest() : null;
}

function refused(status: 401 | 403, message: string): AdminAuthResult {
  return { ok: false, status, message };
}
