/**
 * WebSocket upgrades through the facade, with a real client and real upstreams (the `ws`
 * package): routed by the rules like requests, tunnelled byte for byte after the 101, refused and
 * failed like requests, and closed when idle, rerouted by a reload, or at shutdown.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';

import type { RunningFacade } from '../src/facade.js';
import { eventually, send, sendRaw } from './support/http-client.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';
import { unusedPort } from './support/unused-port.js';
import { openWebSocket, refusedUpgrade, type ClientSocket } from './support/websocket-client.js';
import { startWebSocketUpstream, type WebSocketUpstream } from './support/websocket-upstream.js';

/** Sum of a metric's values whose labels include `labels`. */
async function metric(
  facade: RunningFacade,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const found = facade.metrics.registry.getSingleMetric(name);
  if (found === undefined) throw new Error(`no metric ${name}`);
  const { values } = await found.get();
  return values
    .filter((value) =>
      Object.entries(labels).every(([label, wanted]) => value.labels[label] === wanted),
    )
    .reduce((sum, value) => sum + value.value, 0);
}

interface Upstreams {
  legacy: WebSocketUpstream;
  cards: WebSocketUpstream;
}

async function startUpstreams(): Promise<Upstreams> {
  const [legacy, cards] = await Promise.all([
    startWebSocketUpstream('legacy'),
    startWebSocketUpstream('cards-service'),
  ]);
  return { legacy, cards };
}

function routes(
  upstreams: { legacy: string; cards: string },
  settings = '',
  chatUpstream = 'legacy',
): string {
  return `version: 1
settings:
  routeHeaders: true
${settings}upstreams:
  legacy: { url: ${upstreams.legacy} }
  cards-service: { url: ${upstreams.cards} }
rules:
  - name: chat
    match: { methods: [GET], prefix: /socket/chat }
    upstream: ${chatUpstream}
  - name: cards-socket
    match: { methods: [GET], prefix: /socket/cards }
    upstream: cards-service
  - name: beta-socket
    match: { prefix: /socket/beta, headers: { x-beta: { equals: '1' } } }
    upstream: cards-service
  - name: post-only
    match: { methods: [POST], prefix: /socket/post }
    upstream: cards-service
  - name: live
    match: { prefix: /live }
    upstream: legacy
    canary: { upstream: cards-service, percent: 50, stickyBy: { header: x-user-id } }
default:
  upstream: legacy
`;
}

describe('WebSocket upgrades through the facade', () => {
  let upstreams: Upstreams;
  let fixture: RoutesFixture;
  let base: string;
  const opened: ClientSocket[] = [];
  const open = async (path: string, headers?: Record<string, string>): Promise<ClientSocket> => {
    const socket = await openWebSocket(base + path, headers);
    opened.push(socket);
    return socket;
  };

  beforeAll(async () => {
    upstreams = await startUpstreams();
    fixture = await startRoutesFixture(
      routes({ legacy: upstreams.legacy.url, cards: upstreams.cards.url }),
    );
    base = `ws://127.0.0.1:${fixture.facade.port}`;
  });
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.ws.terminate();
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([upstreams.legacy.close(), upstreams.cards.close()]);
  });

  it('echoes text and binary messages through the tunnel, with the route headers on the 101', async () => {
    const socket = await open('/socket/chat');
    expect(await socket.ask('hello')).toBe('legacy:hello');
    expect(await socket.ask('again')).toBe('legacy:again');
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    const echoed = new Promise<Buffer>((resolve) =>
      socket.ws.once('message', (data) => resolve(data as Buffer)),
    );
    socket.ws.send(binary);
    expect(Buffer.compare(await echoed, binary)).toBe(0);
    expect(socket.headers['x-strangler-route']).toBe('chat');
    expect(socket.headers['x-strangler-upstream']).toBe('legacy');
    expect(socket.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("passes the close handshake through: the client gets the upstream's close code and reason", async () => {
    const socket = await open('/socket/chat');
    socket.ws.send('close 4001');
    expect(await socket.closed).toEqual({ code: 4001, reason: 'legacy closes' });
  });

  it('sends the upgrade upstream with the request passes: normalised path, forwarded headers, ids', async () => {
    const before = upstreams.legacy.upgrades.length;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await open('//socket/%63hat?room=1', {
      'x-request-id': 'ws-test-1',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      'x-forwarded-for': '6.6.6.6',
      'x-strangler-upstream': 'cards-service', // an untrusted client's internal header
    });
    const received = upstreams.legacy.upgrades[before];
    expect(received?.url).toBe('/socket/chat?room=1');
    const headers = received?.headers ?? {};
    expect(headers['x-request-id']).toBe('ws-test-1');
    expect(headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(headers.traceparent).not.toContain('00f067aa0ba902b7');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-strangler-upstream']).toBeUndefined();
    expect(headers.connection).toBe('Upgrade');
    expect(headers.upgrade).toBe('websocket');
    expect(headers['sec-websocket-key']).toBeDefined();
  });

  it('refuses an ambiguous path with 400, as for requests, and sends nothing upstream', async () => {
    const before = upstreams.legacy.upgrades.length + upstreams.cards.upgrades.length;
    const refused = await refusedUpgrade(`${base}/socket/a%2Fb`);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: 'bad_request',
      requestId: refused.headers['x-request-id'],
    });
    expect(upstreams.legacy.upgrades.length + upstreams.cards.upgrades.length).toBe(before);
  });

  it('refuses an upgrade that is not a GET with 400', async () => {
    const raw = await sendRaw(
      fixture.facade.port,
      'POST /socket/chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Content-Length: 0\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('an upgrade request must be a GET, not POST');
  });

  it.each([
    ['/socket/cards/7', {}, 'cards-socket', 'cards-service'],
    ['/socket/beta', { 'x-beta': '1' }, 'beta-socket', 'cards-service'],
    ['/socket/beta', {}, 'default', 'legacy'],
    ['/socket/post', {}, 'default', 'legacy'], // a POST-only rule does not match the GET
    ['/socket/chat', {}, 'chat', 'legacy'],
  ])('routes %s %j by rule %s to %s', async (path, headers, rule, upstream) => {
    const socket = await open(path, headers);
    expect(socket.headers['x-strangler-route']).toBe(rule);
    expect(await socket.ask('hi')).toBe(`${upstream}:hi`);
  });

  it('applies the sticky canary to upgrades: a user lands on the side its plain requests get', async () => {
    const sides = new Set<string>();
    for (let user = 0; user < 16; user += 1) {
      const headers = { 'x-user-id': `user-${user}` };
      const plain = await send(fixture.facade.port, '/live', { headers });
      const side = String(plain.headers['x-strangler-upstream']);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const socket = await open('/live', headers);
        expect({ user, side: await socket.ask('x') }).toEqual({ user, side: `${side}:x` });
        socket.ws.terminate();
      }
      sides.add(side);
    }
    expect([...sides].sort()).toEqual(['cards-service', 'legacy']);
  });

  it.each([426, 404, 500])(
    'relays the upstream answering %d instead of switching protocols',
    async (status) => {
      const refused = await refusedUpgrade(`${base}/refuse/${status}`);
      expect(refused.status).toBe(status);
      expect(refused.body).toBe('legacy refuses the upgrade');
      expect(refused.headers['x-refused-by']).toBe('legacy');
      expect(refused.headers['x-request-id']).toBeDefined();
      expect(refused.headers['x-strangler-upstream']).toBe('legacy');
    },
  );

  it('counts upgrades by outcome and open tunnels in metrics', async () => {
    const facade = fixture.facade;
    const labels = { rule: 'cards-socket', upstream: 'cards-service' };
    const switched = await metric(facade, 'strangler_upgrades_total', {
      ...labels,
      outcome: 'switched',
    });
    const socket = await open('/socket/cards/1');
    const second = await open('/socket/cards/2');
    expect(await metric(facade, 'strangler_tunnels_open', labels)).toBe(2);
    expect(
      await metric(facade, 'strangler_upgrades_total', { ...labels, outcome: 'switched' }),
    ).toBe(switched + 2);
    socket.ws.close();
    await socket.closed;
    await eventually(async () =>
      (await metric(facade, 'strangler_tunnels_open', labels)) === 1 ? true : undefined,
    );
    second.ws.terminate();
    await eventually(async () =>
      (await metric(facade, 'strangler_tunnels_open', labels)) === 0 ? true : undefined,
    );
    expect(await metric(facade, 'strangler_tunnels_closed_total', labels)).toBeGreaterThanOrEqual(
      2,
    );
    const refused = await metric(facade, 'strangler_upgrades_total', { outcome: 'refused' });
    await refusedUpgrade(`${base}/refuse/404`);
    expect(await metric(facade, 'strangler_upgrades_total', { outcome: 'refused' })).toBe(
      refused + 1,
    );
  });
});

describe('WebSocket upgrades when the upstream fails', () => {
  let upstreams: Upstreams;
  let silent: Server;
  let silentAccepted = 0;
  let fixture: RoutesFixture;
  let base: string;

  beforeAll(async () => {
    upstreams = await startUpstreams();
    // Accepts connections and never answers: the upgrade's response head never comes.
    silent = createServer((socket) => socket.resume());
    silent.on('connection', () => (silentAccepted += 1));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentPort = (silent.address() as { port: number }).port;
    const down = `http://127.0.0.1:${await unusedPort()}`;
    fixture = await startRoutesFixture(
      `version: 1
upstreams:
  legacy: { url: ${upstreams.legacy.url} }
  cards-service:
    url: ${down}
    circuitBreaker: { minRequests: 2, failureRatio: 0.5, openSeconds: 60 }
  silent: { url: http://127.0.0.1:${silentPort} }
rules:
  - name: cards-socket
    match: { prefix: /socket/cards }
    upstream: cards-service
  - name: cards-http
    match: { prefix: /cards }
    upstream: cards-service
  - name: silent-socket
    match: { prefix: /socket/silent }
    upstream: silent
default:
  upstream: legacy
`,
      { headersTimeoutMs: 300 },
    );
    base = `ws://127.0.0.1:${fixture.facade.port}`;
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([upstreams.legacy.close(), upstreams.cards.close()]);
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('answers 502 JSON on the client socket when the upstream is down, then opens its circuit for upgrades and requests', async () => {
    const facade = fixture.facade;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await refusedUpgrade(`${base}/socket/cards`);
      expect(refused.status).toBe(502);
      expect(refused.headers.connection).toBe('close');
      expect(JSON.parse(refused.body)).toMatchObject({
        error: 'bad_gateway',
        upstream: 'cards-service',
        requestId: refused.headers['x-request-id'],
      });
    }
    expect(
      await metric(facade, 'strangler_upgrades_total', {
        rule: 'cards-socket',
        upstream: 'cards-service',
        outcome: 'connect',
      }),
    ).toBe(2);
    // Two connect failures of two attempts: the breaker of cards-service is open for both kinds.
    const open = await refusedUpgrade(`${base}/socket/cards`);
    expect(open.status).toBe(503);
    expect(JSON.parse(open.body)).toMatchObject({ error: 'service_unavailable' });
    expect((await send(facade.port, '/cards/1')).status).toBe(503);
    expect(await metric(facade, 'strangler_upgrades_total', { outcome: 'circuit-open' })).toBe(1);
    // The tunnel to a healthy upstream is unaffected.
    const socket = await openWebSocket(`${base}/socket/chat`);
    expect(await socket.ask('ok')).toBe('legacy:ok');
    socket.ws.terminate();
  });

  it('answers 504 when the upstream accepts the connection but never answers the upgrade', async () => {
    const refused = await refusedUpgrade(`${base}/socket/silent`);
    expect(refused.status).toBe(504);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: 'gateway_timeout',
      upstream: 'silent',
    });
    expect(
      await metric(fixture.facade, 'strangler_upgrades_total', {
        rule: 'silent-socket',
        outcome: 'timeout',
      }),
    ).toBe(1);
  });

  it('answers 503 to an upgrade still waiting for its upstream when the facade closes', async () => {
    const silentUrl = fixture.facade
      .currentRules()
      .table.upstreams.find((upstream) => upstream.name === 'silent')?.origin;
    const closing = await startRoutesFixture(
      `version: 1
upstreams:
  legacy: { url: ${silentUrl} }
default:
  upstream: legacy
`,
      { headersTimeoutMs: 60_000, shutdownGraceMs: 60_000 },
    );
    const accepted = silentAccepted;
    const refusal = refusedUpgrade(`ws://127.0.0.1:${closing.facade.port}/socket/any`);
    // the upgrade reached the silent upstream: it now waits for an answer that never comes
    await eventually(() => (silentAccepted > accepted ? true : undefined));
    await closing.close();
    const refused = await refusal;
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'service_unavailable' });
  });
});

describe('WebSocket tunnel lifetime', () => {
  let upstreams: Upstreams;
  let fixture: RoutesFixture;
  let base: string;

  beforeAll(async () => {
    upstreams = await startUpstreams();
  });
  afterEach(() => fixture.close());
  afterAll(() => Promise.all([upstreams.legacy.close(), upstreams.cards.close()]));

  const start = async (settings: string, options = {}): Promise<void> => {
    const urls = { legacy: upstreams.legacy.url, cards: upstreams.cards.url };
    // no watcher: each test's reload() is the one that loads its edit
    fixture = await startRoutesFixture(routes(urls, settings), { watch: false, ...options });
    base = `ws://127.0.0.1:${fixture.facade.port}`;
  };

  it('closes a tunnel idle for settings.upgrades.idleTimeoutMs; one with traffic outlives it and the HTTP limits', async () => {
    await start(
      '  upgrades: { idleTimeoutMs: 400 }\n' +
        '  limits: { requestTimeoutMs: 300, headersTimeoutMs: 300, keepAliveTimeoutMs: 300 }\n',
    );
    const busy = await openWebSocket(`${base}/socket/cards`);
    const idle = await openWebSocket(`${base}/socket/chat`);
    expect(await idle.ask('once')).toBe('legacy:once');
    let idleClosed = false;
    void idle.closed.then(() => (idleClosed = true));
    // 16 round trips 100 ms apart: 1.6 s of traffic, four idle timeouts and five request
    // timeouts long, past the server's 1 s connection check; the idle tunnel closes meanwhile.
    for (let round = 0; round < 16; round += 1) {
      expect(await busy.ask(`r${round}`)).toBe(`cards-service:r${round}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(idleClosed).toBe(true);
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);
    expect(
      await metric(fixture.facade, 'strangler_tunnels_closed_total', {
        rule: 'chat',
        reason: 'idle',
      }),
    ).toBe(1);
    await eventually(() => (upstreams.legacy.openSockets() === 0 ? true : undefined));
    busy.ws.terminate();
  });

  it('after a reload, closes (after rerouteGraceMs) the tunnels whose upgrade the new rules route elsewhere, and keeps the others', async () => {
    await start('  upgrades: { rerouteGraceMs: 100 }\n');
    const chat = await openWebSocket(`${base}/socket/chat`);
    const cards = await openWebSocket(`${base}/socket/cards`);
    const live = await openWebSocket(`${base}/live`, { 'x-user-id': 'user-1' });
    const liveSide = (await live.ask('x')).split(':')[0];
    const urls = { legacy: upstreams.legacy.url, cards: upstreams.cards.url };
    await fixture.write(routes(urls, '  upgrades: { rerouteGraceMs: 100 }\n', 'cards-service'));
    expect(await fixture.facade.reload()).toBe('loaded');
    await chat.closed;
    expect(await cards.ask('still')).toBe('cards-service:still');
    expect(await live.ask('still')).toBe(`${liveSide}:still`);
    const again = await openWebSocket(`${base}/socket/chat`);
    expect(await again.ask('moved')).toBe('cards-service:moved');
    expect(
      await metric(fixture.facade, 'strangler_tunnels_closed_total', { reason: 'rerouted' }),
    ).toBe(1);
    for (const socket of [cards, live, again]) socket.ws.terminate();
  });

  it('a tunnel routed away and back within rerouteGraceMs stays open', async () => {
    // each reload waits for the file to settle (reloadSettleMs), so the grace spans two of them
    const settings = '  upgrades: { rerouteGraceMs: 1500 }\n';
    await start(settings);
    const urls = { legacy: upstreams.legacy.url, cards: upstreams.cards.url };
    const chat = await openWebSocket(`${base}/socket/chat`);
    await fixture.write(routes(urls, settings, 'cards-service'));
    expect(await fixture.facade.reload()).toBe('loaded');
    await fixture.write(routes(urls, settings, 'legacy'));
    expect(await fixture.facade.reload()).toBe('loaded');
    await new Promise((resolve) => setTimeout(resolve, 1700)); // past the grace
    expect(await chat.ask('stayed')).toBe('legacy:stayed');
    chat.ws.terminate();
  });

  it('facade close closes every tunnel and returns well before the grace period', async () => {
    // close() waits for the server, which waits for its upgraded sockets: without closing the
    // tunnels it would take the whole (60 s) grace period, past this test's timeout.
    await start('  trustedClients: [127.0.0.1]\n', { shutdownGraceMs: 60_000 });
    const sockets = [
      await openWebSocket(`${base}/socket/chat`),
      await openWebSocket(`${base}/socket/chat`, { 'x-strangler-upstream': 'cards-service' }),
    ];
    // a trusted client's X-Strangler-Upstream picks the upstream, as for requests
    expect(await sockets[1]?.ask('pinned')).toBe('cards-service:pinned');
    expect(upstreams.legacy.openSockets() + upstreams.cards.openSockets()).toBe(2);
    await fixture.facade.close();
    await Promise.all(sockets.map((socket) => socket.closed));
    expect(
      await metric(fixture.facade, 'strangler_tunnels_closed_total', { reason: 'shutdown' }),
    ).toBe(2);
    expect(await metric(fixture.facade, 'strangler_tunnels_open', {})).toBe(0);
    await eventually(() =>
      upstreams.legacy.openSockets() + upstreams.cards.openSockets() === 0 ? true : undefined,
    );
  }, 20_000);
});
