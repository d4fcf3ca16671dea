import type { IncomingMessage } from 'node:http';

import { adminChangesEnabled, createAdminAuth } from './admin-auth.js';

const WRITE = 'write-token-0123456789';
const READ = 'read-token-0123456789';

function request(authorization?: string): IncomingMessage {
  return { headers: authorization === undefined ? {} : { authorization } } as IncomingMessage;
}

describe('createAdminAuth', () => {
  it('locks everything when no token is configured, naming the variables', () => {
    const auth = createAdminAuth({});
    for (const access of ['read', 'write'] as const) {
      const result = auth(request(`Bearer ${WRITE}`), access);
      expect(result).toMatchObject({ ok: false, status: 403 });
      expect(!result.ok && result.message).toMatch(
        /STRANGLER_ADMIN_TOKEN.*STRANGLER_ADMIN_READ_TOKEN/,
      );
    }
  });

  it('lets the write token read and change', () => {
    const auth = createAdminAuth({ write: WRITE, read: READ });
    expect(auth(request(`Bearer ${WRITE}`), 'read')).toEqual({ ok: true });
    expect(auth(request(`bearer   ${WRITE}`), 'write')).toEqual({ ok: true });
  });

  it('lets the read token read only', () => {
    const auth = createAdminAuth({ write: WRITE, read: READ });
    expect(auth(request(`Bearer ${READ}`), 'read')).toEqual({ ok: true });
    const change = auth(request(`Bearer ${READ}`), 'write');
    expect(change).toMatchObject({ ok: false, status: 403 });
    expect(!change.ok && change.message).toMatch(/only read/);
  });

  it('refuses a missing, empty, wrong or prefixed token with 401', () => {
    const auth = createAdminAuth({ write: WRITE, read: READ });
    for (const header of [undefined, '', 'Bearer ', 'Bearer nope', `Bearer ${WRITE}x`, WRITE]) {
      expect(auth(request(header), 'read')).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('with only a read token, changes are disabled (403) and reads work', () => {
    const auth = createAdminAuth({ read: READ });
    expect(auth(request(`Bearer ${READ}`), 'read')).toEqual({ ok: true });
    expect(auth(request(`Bearer ${READ}`), 'write')).toMatchObject({ ok: false, status: 403 });
    expect(adminChangesEnabled({ read: READ })).toBe(false);
    expect(adminChangesEnabled({ write: WRITE })).toBe(true);
  });
});
