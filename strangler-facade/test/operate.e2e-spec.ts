/**
 * Operating the facade: admin mutations behind the token (editing routes.yaml with comments
 * kept), /explain, the Prometheus exposition, request limits and slow clients, and a reload
 * storm under concurrent load with zero failed requests.
 */
import { connect } from 'node:net';

import { ADMIN_TOKEN, eventually, send } from './support/http-client.js';
import {
  jsonAnswer,
  startProgrammableUpstream,
  type ProgrammableUpstream,
} from './support/programmable-upstream.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';

const TOKEN = ADMIN_TOKEN;

function routes(legacy: string, cards: string, upstream = 'legacy'): string {
  return `version: 1
settings:
  limits: { maxRequestBodyBytes: 1000, headersTimeoutMs: 300, requestTimeoutMs: 600 }
upstreams:
  legacy: { url: ${legacy} }
  cards-service: { url: ${cards} }
rules:
  # the first slice to move
  - name: cards-get-by-id
    match: { methods: [GET], path: /cards/:id }
    upstream: ${upstream} # flipped by the admin API
    fallback: { upstream: legacy }
default:
  upstream: legacy
`;
}

describe('operating the facade', () => {
  let legacy: ProgrammableUpstream;
  let cards: ProgrammableUpstream;
  let fixture: RoutesFixture;

  beforeAll(async () => {
    legacy = await startProgrammableUpstream('legacy');
    cards = await startProgrammableUpstream('cards-service');
    fixture = await startRoutesFixture(routes(legacy.url, cards.url), { adminToken: TOKEN });
  });
  afterEach(() => {
    legacy.handler = jsonAnswer('legacy');
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([legacy.close(), cards.close()]);
  });

  /** Reads carry the token; a change carries only the token it is given. */
  const admin = (
    path: string,
    method = 'GET',
    body?: unknown,
    token = method === 'GET' ? TOKEN : undefined,
  ) =>
    send(fixture.facade.adminPort, path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  describe('admin mutations', () => {
    it('refuse without the token, or with a wrong one (file untouched)', async () => {
      const before = await fixture.read();
      const missing = await admin('/rules/cards-get-by-id/upstream', 'PUT', {
        upstream: 'cards-service',
      });
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      const wrong = await admin(
        '/rules/cards-get-by-id/canary',
        'PUT',
        { upstream: 'cards-service', percent: 5 },
        'nope',
      );
      expect(wrong.status).toBe(401);
      expect((await admin('/rules/cards-get-by-id/canary', 'DELETE')).status).toBe(401);
      expect(await fixture.read()).toBe(before);
    });

    it('edit routes.yaml with the token (comments kept) and answer the new version', async () => {
      const version = fixture.facade.currentRules().version;
      const canary = await admin(
        '/rules/cards-get-by-id/canary',
        'PUT',
        { upstream: 'cards-service', percent: 25 },
        TOKEN,
      );
      expect(canary.status).toBe(200);
      expect(canary.json()).toMatchObject({ rule: 'cards-get-by-id', version: version + 1 });
      expect(fixture.facade.currentRules().table.rules[0]?.canary?.percent).toBe(25);
      const text = await fixture.read();
      expect(text).toMatch(/# the first slice to move/);
      expect(text).toMatch(/# flipped by the admin API/);

      const explain = (await admin('/explain?method=GET&path=/cards/1&header=x-user-id:42')).json<{
        rule: string;
        canary: { bucket: number; chosen: boolean };
        fallback: unknown;
      }>();
      expect(explain.rule).toBe('cards-get-by-id');
      expect(explain.canary.bucket).toBeGreaterThanOrEqual(0);
      expect(explain.canary.chosen).toBe(explain.canary.bucket < 2500);
      expect(explain.fallback).toMatchObject({ upstream: 'legacy' });

      expect(
        (await admin('/rules/cards-get-by-id/canary', 'DELETE', undefined, TOKEN)).status,
      ).toBe(200);
      const shadow = await admin(
        '/rules/cards-get-by-id/shadow',
        'PUT',
        { upstream: 'cards-service', percent: 50 },
        TOKEN,
      );
      expect(shadow.status).toBe(200);
      expect(fixture.facade.currentRules().table.rules[0]?.shadow?.percent).toBe(50);
      expect(
        (await admin('/rules/cards-get-by-id/shadow', 'DELETE', undefined, TOKEN)).status,
      ).toBe(200);
      const flip = await admin(
        '/rules/cards-get-by-id/upstream',
        'PUT',
        { upstream: 'cards-service' },
        TOKEN,
      );
      expect(flip.status).toBe(200);
      expect((await send(fixture.facade.port, '/cards/7')).headers['x-strangler-upstream']).toBe(
        'cards-service',
      );
      await fixture.write(routes(legacy.url, cards.url));
      await fixture.facade.reload();
    });

    it('refuse unknown rules (404) and invalid edits (422) without writing', async () => {
      const before = await fixture.read();
      expect(
        (await admin('/rules/nope/upstream', 'PUT', { upstream: 'legacy' }, TOKEN)).status,
      ).toBe(404);
      const invalid = await admin(
        '/rules/cards-get-by-id/upstream',
        'PUT',
        { upstream: 'unknown-service' },
        TOKEN,
      );
      expect(invalid.status).toBe(422);
      expect(invalid.json()).toMatchObject({ error: 'invalid_edit' });
      expect(await fixture.read()).toBe(before);
    });

    it('are disabled (403) when no token is configured', async () => {
      const open = await startRoutesFixture(routes(legacy.url, cards.url), {
        adminToken: undefined,
      });
      try {
        const reply = await send(open.facade.adminPort, '/rules/cards-get-by-id/upstream', {
          method: 'PUT',
          headers: { authorization: 'Bearer anything' },
          body: '{"upstream":"cards-service"}',
        });
        expect(reply.status).toBe(403);
        expect(reply.json()).toMatchObject({
          message: expect.stringMatching(/STRANGLER_ADMIN_TOKEN/),
        });
      } finally {
        await open.close();
      }
    });
  });

  it('exposes Prometheus metrics for requests, latency, errors, circuits and reloads', async () => {
    await send(fixture.facade.port, '/cards/1');
    await send(fixture.facade.port, '/feed');
    const reply = await admin('/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain/);
    const text = reply.text;
    expect(text).toMatch(
      /strangler_requests_total\{rule="cards-get-by-id",upstream="legacy",status="2xx"\} [1-9]/,
    );
    expect(text).toMatch(
      /strangler_requests_total\{rule="default",upstream="legacy",status="2xx"\}/,
    );
    expect(text).toMatch(
      /strangler_request_duration_seconds_bucket\{le="0.005",rule="cards-get-by-id",upstream="legacy"\}/,
    );
    expect(text).toMatch(
      /strangler_request_duration_seconds_count\{rule="default",upstream="legacy"\}/,
    );
    expect(text).toMatch(/strangler_rules_reloads_total\{outcome="loaded"\} [1-9]/);
    expect(text).toMatch(/strangler_rules_version \d+/);
    for (const name of [
      'strangler_upstream_errors_total',
      'strangler_circuit_state',
      'strangler_shadow_comparisons_total',
      'strangler_fallbacks_total',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  describe('limits', () => {
    it('refuses a declared body over maxRequestBodyBytes with 413, and a chunked one too', async () => {
      const declared = await send(fixture.facade.port, '/upload', {
        method: 'POST',
        headers: { 'content-length': '2000' },
        body: 'x'.repeat(2000),
      });
      expect(declared.status).toBe(413);
      const before = legacy.received.length;
      const chunked = await send(fixture.facade.port, '/upload', {
        method: 'POST',
        body: 'y'.repeat(5000),
      }).catch((error: Error) => error);
      expect(chunked instanceof Error ? chunked.message : chunked.status).toBe(413);
      expect(legacy.received.slice(before).some((request) => request.body.length > 1000)).toBe(
        false,
      );
    });

    it('closes the connection of a client that never finishes its headers', async () => {
      const socket = connect(fixture.facade.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('GET /cards/1 HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.resume();
      await eventually(() => (closed ? true : undefined), 5_000);
      expect(closed).toBe(true);
    });
  });

  it('closes the connection of a client that never finishes its body (requestTimeoutMs)', async () => {
    const socket = connect(fixture.facade.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part');
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.resume();
    await eventually(() => (closed ? true : undefined), 5_000);
    expect(closed).toBe(true);
  });

  it('cuts a client that stops reading a large response, and the upstream stream with it', async () => {
    let upstreamClosedEarly = false;
    legacy.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = (): void => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      res.on('close', () => (upstreamClosedEarly = !res.writableFinished));
      pump();
    };
    const socket = connect(fixture.facade.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.write('GET /download HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause(); // never reads: buffers fill, nothing moves
    // the facade gives up on the stalled exchange: the upstream stream is cut...
    await eventually(() => (upstreamClosedEarly ? true : undefined), 10_000);
    // ...and so is the client connection (seen once the client reads what was buffered)
    socket.resume();
    await eventually(() => (closed ? true : undefined), 10_000);
    socket.destroy();
  });

  it('serves a burst of concurrent requests while routes.yaml flips back and forth: zero failures', async () => {
    const texts = [
      routes(legacy.url, cards.url, 'legacy'),
      routes(legacy.url, cards.url, 'cards-service'),
    ];
    let flipping = true;
    let flips = 0;
    const flipper = (async () => {
      while (flipping) {
        await fixture.write(texts[flips % 2]);
        flips += 1;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const statuses: number[] = [];
    const seen = new Set<string>();
    // Waves continue until both rule tables have served (reloads are asynchronous: a fast burst
    // can end before the first one lands), bounded in count and time.
    const deadline = Date.now() + 15_000;
    for (
      let wave = 0;
      wave < 20 || (seen.size < 2 && wave < 400 && Date.now() < deadline);
      wave += 1
    ) {
      const replies = await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          send(fixture.facade.port, `/cards/${wave}-${index}`),
        ),
      );
      for (const reply of replies) {
        statuses.push(reply.status);
        seen.add(String(reply.headers['x-strangler-upstream']));
      }
    }
    flipping = false;
    await flipper;
    expect(statuses.length).toBeGreaterThanOrEqual(500);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(flips).toBeGreaterThan(3);
    await fixture.facade.reload();
    expect(fixture.facade.lastReloadError()).toBeNull();
    expect([...seen].sort()).toEqual(['cards-service', 'legacy']);
  });
});
