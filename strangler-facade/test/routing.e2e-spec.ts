import { createHash } from 'node:crypto';

import { PROXY_CORES } from './support/proxy-cores.js';
import { startFacadeFixture, type FacadeFixture } from './support/facade-fixture.js';
import { dechunk, send, sendRaw } from './support/http-client.js';

interface Echo {
  upstream: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

describe.each(PROXY_CORES)('%s core', (_core, createCore) => {
  describe('facade routing (real stub upstreams)', () => {
    let fixture: FacadeFixture;
    let port: number;

    beforeAll(async () => {
      fixture = await startFacadeFixture({ createCore });
      port = fixture.facade.port;
      await fixture.writeRoutes(fixture.routesYaml('cards-service'));
      await fixture.facade.reload();
    });
    afterAll(() => fixture.close());

    it.each([
      ['GET', '/cards/42', 'cards-get-by-id', 'cards-service'],
      ['HEAD', '/cards/42', 'cards-get-by-id', 'cards-service'],
      ['PATCH', '/cards/42', 'cards', 'legacy'],
      ['GET', '/cards', 'cards', 'legacy'],
      ['GET', '/cards/42/comments', 'cards', 'legacy'],
      ['GET', '/cardsfoo', 'default', 'legacy'],
      ['GET', '/feed', 'default', 'legacy'],
    ])('%s %s → rule %s → %s', async (method, path, rule, upstream) => {
      const reply = await send(port, path, { method });
      expect(reply.status).toBe(200);
      expect(reply.headers['x-strangler-route']).toBe(rule);
      expect(reply.headers['x-strangler-upstream']).toBe(upstream);
      expect(reply.headers['x-upstream']).toBe(upstream);
    });

    it('forwards exactly the normalised path that was matched, plus the original query', async () => {
      const cases: [string, string, string][] = [
        ['//cards/./42?x=%2F&y', '/cards/42?x=%2F&y', 'cards-service'],
        ['/cards/x/../42', '/cards/42', 'cards-service'],
        ['/cards/%2e%2e/admin', '/admin', 'legacy'],
        ['/cards/../admin', '/admin', 'legacy'],
        ['/cards/%7e1', '/cards/~1', 'cards-service'],
      ];
      for (const [sent, forwarded, upstream] of cases) {
        const reply = await send(port, sent);
        expect({
          sent,
          url: reply.json<Echo>().url,
          upstream: reply.json<Echo>().upstream,
        }).toEqual({
          sent,
          url: forwarded,
          upstream,
        });
      }
    });

    it.each(['/cards%2Fx', '/cards%5Cx', '/cards\\x', '/cards/%00', '/cards/%zz'])(
      'refuses the ambiguous path %s with a JSON 400 that never reaches an upstream',
      async (path) => {
        const before = fixture.legacy.received.length + fixture.cards.received.length;
        const reply = await send(port, path);
        expect(reply.status).toBe(400);
        expect(reply.json()).toMatchObject({
          error: 'bad_request',
          requestId: reply.headers['x-request-id'],
        });
        expect(fixture.legacy.received.length + fixture.cards.received.length).toBe(before);
      },
    );

    it('refuses a request with both Content-Length and Transfer-Encoding', async () => {
      const before = fixture.legacy.received.length;
      const raw = await sendRaw(
        port,
        'POST /cards HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      );
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(fixture.legacy.received.length).toBe(before);
    });

    it('overwrites spoofed X-Forwarded-* / Forwarded headers with what the facade saw', async () => {
      const reply = await send(port, '/feed', {
        headers: {
          host: 'facade.example',
          'x-forwarded-for': '6.6.6.6',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'evil.example',
          forwarded: 'for=6.6.6.6',
          'x-real-ip': '6.6.6.6',
        },
      });
      const headers = reply.json<Echo>().headers;
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-host']).toBe('facade.example');
      expect(headers.forwarded).toBe('for=127.0.0.1;host=facade.example;proto=http');
      expect(headers['x-real-ip']).toBeUndefined();
      expect(headers.host).toBe(`127.0.0.1:${fixture.legacy.port}`);
    });

    it('keeps a well-formed X-Request-Id and replaces a malformed one, both ways', async () => {
      const kept = await send(port, '/feed', { headers: { 'x-request-id': 'trace-123.abc_X' } });
      expect(kept.headers['x-request-id']).toBe('trace-123.abc_X');
      expect(kept.json<Echo>().headers['x-request-id']).toBe('trace-123.abc_X');

      const replaced = await send(port, '/feed', {
        headers: { 'x-request-id': 'bad id with spaces' },
      });
      const id = replaced.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(replaced.json<Echo>().headers['x-request-id']).toBe(id);

      const minted = await send(port, '/feed');
      expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('strips hop-by-hop headers in both directions', async () => {
      fixture.legacy.responseHeaders = {
        connection: 'x-upstream-hop',
        'x-upstream-hop': '1',
        'proxy-authenticate': 'x',
        'x-kept': 'yes',
      };
      try {
        const reply = await send(port, '/feed', {
          headers: {
            connection: 'keep-alive, x-client-hop',
            'x-client-hop': '1',
            'keep-alive': 'timeout=5',
            te: 'trailers',
            'proxy-authorization': 'Basic eDp5',
            'x-end-to-end': 'kept',
          },
        });
        const sent = reply.json<Echo>().headers;
        expect(sent['x-client-hop']).toBeUndefined();
        expect(sent['keep-alive']).toBeUndefined();
        expect(sent.te).toBeUndefined();
        expect(sent['proxy-authorization']).toBeUndefined();
        expect(sent['x-end-to-end']).toBe('kept');
        expect(reply.headers['x-upstream-hop']).toBeUndefined();
        expect(reply.headers['proxy-authenticate']).toBeUndefined();
        expect(reply.headers['x-kept']).toBe('yes');
      } finally {
        fixture.legacy.responseHeaders = {};
      }
    });

    it('streams request and response bodies through unchanged', async () => {
      const body = Buffer.alloc(3 * 1024 * 1024, 'strangler-fig ');
      const reply = await send(port, '/echo', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(reply.status).toBe(200);
      const digest = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
      expect(digest(reply.text)).toBe(digest(body));
    });

    it('forwards requests with an empty body (Content-Length: 0) and without any body', async () => {
      const empty = await send(port, '/cards', {
        method: 'POST',
        headers: { 'content-length': '0' },
      });
      expect(empty.status).toBe(200);
      expect(empty.json<Echo>().headers['content-length']).toBe('0');
      const none = await send(port, '/cards/1', { method: 'DELETE' });
      expect(none.status).toBe(200);
      expect(none.json<Echo>().method).toBe('DELETE');
    });

    it('relays the answer of an upstream that ignores an Upgrade, then closes', async () => {
      const raw = await sendRaw(
        port,
        'GET /feed HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      );
      expect(raw).toMatch(/^HTTP\/1\.1 200 /);
      expect(raw).toMatch(/\r\nconnection: close\r\n/i);
      expect(raw).toMatch(/\r\nx-upstream: legacy\r\n/i);
    });

    it('streams a chunked request body (no Content-Length)', async () => {
      const raw = await sendRaw(
        port,
        'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
      );
      expect(raw).toMatch(/^HTTP\/1\.1 200 /);
      expect(raw).toMatch(/transfer-encoding: chunked/i);
      expect(dechunk(raw)).toBe('hello world');
    });
  });
});

describe('route headers switch', () => {
  it('can be turned off in routes.yaml (settings.routeHeaders: false)', async () => {
    const fixture = await startFacadeFixture();
    try {
      await fixture.writeRoutes(fixture.routesYaml('legacy', 'settings:\n  routeHeaders: false\n'));
      await fixture.facade.reload(); // the watcher may have been first: either way it is in service
      expect(fixture.facade.currentRules().table.settings.routeHeaders).toBe(false);
      const reply = await send(fixture.facade.port, '/cards/1');
      expect(reply.status).toBe(200);
      expect(reply.headers['x-strangler-route']).toBeUndefined();
      expect(reply.headers['x-strangler-upstream']).toBeUndefined();
      expect(reply.headers['x-request-id']).toBeDefined();
    } finally {
      await fixture.close();
    }
  });

  it('can be forced off by the process option (STRANGLER_ROUTE_HEADERS=off)', async () => {
    const fixture = await startFacadeFixture({ routeHeaders: false });
    try {
      const reply = await send(fixture.facade.port, '/cards/1');
      expect(reply.headers['x-strangler-route']).toBeUndefined();
      expect(reply.headers['x-upstream']).toBe('legacy');
    } finally {
      await fixture.close();
    }
  });
});

describe('upstream URL overrides', () => {
  it('STRANGLER_UPSTREAM_<NAME>_URL replaces the URL in the file', async () => {
    const fixture = await startFacadeFixture();
    const redirected = await startFacadeFixture({
      routesFile: fixture.routesFile,
      env: { STRANGLER_UPSTREAM_LEGACY_URL: fixture.cards.url },
    });
    try {
      const reply = await send(redirected.facade.port, '/feed');
      expect(reply.headers['x-strangler-upstream']).toBe('legacy');
      expect(reply.headers['x-upstream']).toBe('cards-service');
    } finally {
      await redirected.close();
      await fixture.close();
    }
  });
});

describe('trusted proxies', () => {
  it('appends to X-Forwarded-For / Forwarded when the peer is listed in settings.trustedProxies', async () => {
    const fixture = await startFacadeFixture();
    try {
      await fixture.writeRoutes(
        fixture.routesYaml('legacy', 'settings:\n  trustedProxies: [127.0.0.0/8]\n'),
      );
      await fixture.facade.reload();
      expect(fixture.facade.currentRules().table.settings.trustedProxies).toEqual(['127.0.0.0/8']);
      const reply = await send(fixture.facade.port, '/feed', {
        headers: {
          'x-forwarded-for': '203.0.113.9',
          'x-forwarded-proto': 'https',
          forwarded: 'for=203.0.113.9',
        },
      });
      const headers = reply.json<Echo>().headers;
      expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('https');
      expect(headers.forwarded).toMatch(/^for=203\.0\.113\.9, for=127\.0\.0\.1;/);
    } finally {
      await fixture.close();
    }
  });
});
