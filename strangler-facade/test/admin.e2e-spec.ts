import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startFacadeFixture, type FacadeFixture } from './support/facade-fixture.js';
import { ADMIN_TOKEN, send, sendAdmin, sendRaw } from './support/http-client.js';

const READ_TOKEN = 'test-read-token-0123456789';
const READS = [
  '/rules',
  '/status',
  '/schema',
  '/explain?path=/cards/1',
  '/shadow/summary',
  '/shadow/mismatches',
  '/shadow/cases?rule=cards',
  '/rollouts',
  '/metrics',
];

describe('admin plane', () => {
  let fixture: FacadeFixture;
  beforeAll(async () => {
    fixture = await startFacadeFixture();
  });
  afterAll(() => fixture.close());

  it('listens on its own port', () => {
    expect(fixture.facade.adminPort).not.toBe(fixture.facade.port);
  });

  it('GET /health', async () => {
    const reply = await sendAdmin(fixture.facade.adminPort, '/health');
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ status: 'ok' });
  });

  it('GET /rules lists the compiled rules in order with their upstreams, file, version and loadedAt', async () => {
    const body = (await sendAdmin(fixture.facade.adminPort, '/rules')).json();
    expect(body).toMatchObject({
      file: fixture.routesFile,
      version: 1,
      hash: expect.stringMatching(/^[0-9a-f]{16}$/),
      loadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      rules: [
        {
          name: 'cards-get-by-id',
          methods: ['GET', 'HEAD'],
          path: '/cards/:id',
          upstream: 'legacy',
          upstreamUrl: fixture.legacy.url,
        },
        {
          name: 'cards',
          methods: null,
          prefix: '/cards',
          upstream: 'legacy',
          upstreamUrl: fixture.legacy.url,
        },
      ],
      default: { name: 'default', upstream: 'legacy', upstreamUrl: fixture.legacy.url },
      settings: { secrets: { headers: [], query: [], jsonPaths: [] } },
    });
  });

  it('GET /status reports version, last reload error and upstreams', async () => {
    expect((await sendAdmin(fixture.facade.adminPort, '/status')).json()).toMatchObject({
      version: 1,
      lastReloadError: null,
      upstreams: [
        { name: 'legacy', url: fixture.legacy.url, source: 'file' },
        { name: 'cards-service', url: fixture.cards.url, source: 'file' },
      ],
    });
  });

  it('GET /schema serves the published JSON Schema', async () => {
    const committed: unknown = JSON.parse(
      readFileSync(path.join(import.meta.dirname, '../routes.schema.json'), 'utf8'),
    );
    expect((await sendAdmin(fixture.facade.adminPort, '/schema')).json()).toEqual(committed);
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    expect((await sendAdmin(fixture.facade.adminPort, '/nope')).status).toBe(404);
    expect((await sendAdmin(fixture.facade.adminPort, '/rules', { method: 'POST' })).status).toBe(
      405,
    );
  });

  it('GET /health needs no token; every other read answers 401 without or with a wrong one', async () => {
    expect((await send(fixture.facade.adminPort, '/health')).status).toBe(200);
    for (const read of READS) {
      const missing = await send(fixture.facade.adminPort, read);
      expect([read, missing.status]).toEqual([read, 401]);
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      const wrong = await sendAdmin(fixture.facade.adminPort, read, { token: 'not-the-token' });
      expect([read, wrong.status]).toEqual([read, 401]);
    }
  });

  it('a malformed rule name in a change is a 400 saying why, not a 500', async () => {
    for (const name of ['%E0%A4%A', 'Cards_Get', '..%2F..']) {
      const reply = await sendAdmin(fixture.facade.adminPort, `/rules/${name}/upstream`, {
        method: 'PUT',
        body: '{"upstream":"legacy"}',
      });
      expect([name, reply.status]).toEqual([name, 400]);
      expect(reply.json()).toMatchObject({
        error: 'bad_request',
        message: expect.stringMatching(/rule name/),
      });
    }
  });
});

describe('admin plane tokens', () => {
  it('a read token reads everything but cannot change the rules', async () => {
    const fixture = await startFacadeFixture({ adminReadToken: READ_TOKEN });
    try {
      for (const read of READS) {
        const reply = await sendAdmin(fixture.facade.adminPort, read, { token: READ_TOKEN });
        expect([read, reply.status]).toEqual([read, 200]);
      }
      const before = readFileSync(fixture.routesFile, 'utf8');
      const change = await sendAdmin(fixture.facade.adminPort, '/rules/cards/upstream', {
        method: 'PUT',
        body: '{"upstream":"cards-service"}',
        token: READ_TOKEN,
      });
      expect(change.status).toBe(403);
      expect(change.json()).toMatchObject({ message: expect.stringMatching(/only read/) });
      expect(readFileSync(fixture.routesFile, 'utf8')).toBe(before);
    } finally {
      await fixture.close();
    }
  });

  it('without any token configured, the plane answers 403 naming STRANGLER_ADMIN_TOKEN', async () => {
    const fixture = await startFacadeFixture({ adminToken: undefined });
    try {
      expect((await send(fixture.facade.adminPort, '/health')).status).toBe(200);
      for (const read of READS) {
        const reply = await sendAdmin(fixture.facade.adminPort, read, { token: ADMIN_TOKEN });
        expect([read, reply.status]).toEqual([read, 403]);
        expect(reply.json()).toMatchObject({
          message: expect.stringMatching(/STRANGLER_ADMIN_TOKEN/),
        });
      }
    } finally {
      await fixture.close();
    }
  });
});

describe('admin plane timeouts', () => {
  it('closes a connection whose headers never complete (408)', async () => {
    const fixture = await startFacadeFixture({
      adminTimeouts: { headersMs: 200, requestMs: 400 },
    });
    try {
      // sendRaw gives up after 2 s; without a headers timeout the server would still be waiting
      const raw = await sendRaw(fixture.facade.adminPort, 'GET /status HTTP/1.1\r\nHost: x\r\n');
      expect(raw).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await fixture.close();
    }
  });
});
