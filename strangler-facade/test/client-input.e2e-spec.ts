/**
 * What a client must not control: the facade's own X-Strangler-* headers (the shadow marker
 * above all), the headers only a proxy in front of the facade may set, ambiguous body framing,
 * bodies on GET/HEAD, and ";" path parameters that servlet containers resolve differently.
 */
import { startFacadeFixture, type FacadeFixture } from './support/facade-fixture.js';
import { send, sendAdmin, sendRaw } from './support/http-client.js';

interface Echo {
  upstream: string;
  url: string;
  headers: Record<string, string>;
}

const PROXY_ONLY = {
  'x-forwarded-port': '443',
  'x-forwarded-prefix': '/admin',
  'x-forwarded-server': 'lb',
  'x-original-url': '/admin/users',
  'x-rewrite-url': '/admin/users',
  'true-client-ip': '6.6.6.6',
  'cf-connecting-ip': '6.6.6.6',
  'x-client-ip': '6.6.6.6',
};

describe('input a client must not control', () => {
  let fixture: FacadeFixture;
  const routes = (settings: string) => `version: 1
settings:
${settings}
upstreams:
  legacy: { url: ${fixture.legacy.url} }
  cards-service: { url: ${fixture.cards.url} }
rules:
  - name: cards-get-by-id
    match: { methods: [GET], path: /cards/:id }
    upstream: legacy
    shadow: { upstream: cards-service }
  - name: legacy-sessions
    match: { prefix: /sessions }
    upstream: legacy
    allowSemicolons: true
default:
  upstream: legacy
`;
  const use = async (settings: string) => {
    await fixture.writeRoutes(routes(settings));
    const outcome = await fixture.facade.reload();
    expect(['loaded', 'unchanged']).toContain(outcome);
  };

  beforeAll(async () => {
    fixture = await startFacadeFixture({ watch: false });
  });
  afterAll(() => fixture.close());

  describe('headers', () => {
    it('an untrusted client cannot send X-Strangler-* (the shadow marker least of all)', async () => {
      await use('  routeHeaders: true');
      const reply = await send(fixture.facade.port, '/cards/1', {
        headers: {
          'x-strangler-shadow': '1',
          'x-strangler-upstream': 'cards-service',
          'x-strangler-cohort': 'staff',
          'x-strangler-debug': 'on',
        },
      });
      expect(reply.json<Echo>().upstream).toBe('legacy');
      const seen = reply.json<Echo>().headers;
      expect(Object.keys(seen).filter((name) => name.startsWith('x-strangler-'))).toEqual([]);
      await fixture.facade.shadowIdle();
      // the real shadow copy carries the marker once, as the facade set it
      expect(fixture.cards.received.at(-1)?.headers['x-strangler-shadow']).toBe('1');
    });

    it('a trusted client may pick the upstream, but never sends the shadow marker', async () => {
      await use('  trustedClients: [127.0.0.1, "::1"]');
      const reply = await send(fixture.facade.port, '/cards/1', {
        headers: { 'x-strangler-upstream': 'cards-service', 'x-strangler-shadow': '1' },
      });
      expect(reply.json<Echo>().upstream).toBe('cards-service');
      expect(reply.json<Echo>().headers['x-strangler-shadow']).toBeUndefined();
    });

    it('proxy-only headers pass only from a trusted proxy, which X-Forwarded-For is appended to', async () => {
      await use('  routeHeaders: true');
      const untrusted = await send(fixture.facade.port, '/feed', {
        headers: { ...PROXY_ONLY, 'x-forwarded-for': '6.6.6.6' },
      });
      const dropped = untrusted.json<Echo>().headers;
      for (const name of Object.keys(PROXY_ONLY))
        expect([name, dropped[name]]).toEqual([name, undefined]);
      expect(dropped['x-forwarded-for']).toBe('127.0.0.1');

      await use('  trustedProxies: [127.0.0.0/8, "::1/128"]');
      const proxied = await send(fixture.facade.port, '/feed', {
        headers: { ...PROXY_ONLY, 'x-forwarded-for': '198.51.100.5' },
      });
      const kept = proxied.json<Echo>().headers;
      for (const [name, value] of Object.entries(PROXY_ONLY)) expect(kept[name]).toBe(value);
      expect(kept['x-forwarded-for']).toBe('198.51.100.5, 127.0.0.1');
    });

    it('behind a trusted proxy, the client is the last untrusted X-Forwarded-For hop', async () => {
      await use('  trustedProxies: [127.0.0.0/8]\n  trustedClients: [198.51.100.0/24]');
      const pick = (forwardedFor: string) =>
        send(fixture.facade.port, '/cards/1', {
          headers: { 'x-forwarded-for': forwardedFor, 'x-strangler-upstream': 'cards-service' },
        }).then((reply) => reply.json<Echo>().upstream);
      expect(await pick('198.51.100.5')).toBe('cards-service');
      // a client cannot claim a trusted address by putting it further left
      expect(await pick('198.51.100.5, 6.6.6.6')).toBe('legacy');
    });
  });

  describe('framing', () => {
    beforeAll(() => use('  routeHeaders: true'));

    it.each([
      [
        'Transfer-Encoding other than one chunked',
        'POST /cards HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      ],
      [
        'chunked sent twice',
        'POST /cards HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
      ['a GET with a body', 'GET /cards/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'],
      [
        'a HEAD with a chunked body',
        'HEAD /cards/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
    ])('refuses %s with 400, forwarding nothing', async (_what, raw) => {
      const before = fixture.legacy.received.length;
      expect(await sendRaw(fixture.facade.port, raw)).toMatch(/^HTTP\/1\.1 400 /);
      expect(fixture.legacy.received.length).toBe(before);
    });

    it('passes a GET with Content-Length: 0 and a chunked POST', async () => {
      const get = await send(fixture.facade.port, '/cards/1', {
        headers: { 'content-length': '0' },
      });
      expect(get.status).toBe(200);
      const raw = await sendRaw(
        fixture.facade.port,
        'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      );
      expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    });
  });

  describe('";" in the path', () => {
    beforeAll(() => use('  routeHeaders: true'));

    it('is refused by default with a 400 naming the rule and the opt-in', async () => {
      const before = fixture.legacy.received.length;
      for (const path of ['/cards/1;jsessionid=abc', '/cards/1%3Bx=1', '/feed;x']) {
        const reply = await send(fixture.facade.port, path);
        expect([path, reply.status]).toEqual([path, 400]);
        expect(reply.json()).toMatchObject({ message: expect.stringMatching(/allowSemicolons/) });
      }
      expect(fixture.legacy.received.length).toBe(before);
    });

    it('never lets "..;" walk out of a rule (Tomcat resolves /cards/..;/admin to /admin)', async () => {
      for (const path of ['/cards/..;/admin', '/sessions/..;/admin']) {
        const reply = await send(fixture.facade.port, path);
        expect([path, reply.status]).toEqual([path, 400]);
        expect(reply.json()).toMatchObject({ message: expect.stringMatching(/dot segment/) });
      }
    });

    it('/explain says the same as the data plane', async () => {
      const explain = (path: string) =>
        sendAdmin(fixture.facade.adminPort, `/explain?path=${encodeURIComponent(path)}`).then(
          (reply) => reply.json(),
        );
      expect(await explain('/cards/1;x')).toMatchObject({
        rule: 'cards-get-by-id',
        refused: expect.stringMatching(/allowSemicolons/),
      });
      expect(await explain('/sessions/1;x')).toMatchObject({
        rule: 'legacy-sessions',
        refused: null,
      });
    });

    it('passes for a rule that allows it, exactly as sent', async () => {
      const reply = await send(fixture.facade.port, '/sessions/1;jsessionid=abc');
      expect(reply.status).toBe(200);
      expect(reply.json<Echo>().url).toBe('/sessions/1;jsessionid=abc');
    });
  });
});
