/**
 * The admin plane's one rule of access: reading is open (it listens on its own, private port),
 * changing state needs `Authorization: Bearer <STRANGLER_ADMIN_TOKEN>`. Without a configured
 * token, mutations are disabled (403) rather than open.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AdminAuthResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export function createAdminAuth(
  token: string | undefined,
): (req: IncomingMessage) => AdminAuthResult {
  const expected = token !== undefined && token !== '' ? digest(token) : null;
  return (req) => {
    if (expected === null) {
      return {
        ok: false,
        status: 403,
        message: 'admin mutations are disabled: set STRANGLER_ADMIN_TOKEN to enable them',
      };
    }
    const header = req.headers.authorization ?? '';
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      return { ok: false, status: 401, message: 'missing or wrong bearer token' };
    }
    return { ok: true };
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
