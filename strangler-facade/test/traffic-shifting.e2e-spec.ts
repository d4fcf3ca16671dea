/**
 * Matching beyond method and path, internal headers, the sticky canary split, and what every
 * request carries (traceparent, access log), against real stub upstreams on loopback.
 */
import { Writable } from 'node:stream';

import { pino } from 'pino';

import { send } from './support/http-client.js';
import {
  startProgrammableUpstream,
  type ProgrammableUpstream,
} from './support/programmable-upstream.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';

function routes(legacy: string, cards: string, settings = '', canaryPercent = 30): string {
  return `version: 1
settings:
  trustedClients: [${settings}]
upstreams:
  legacy: { url: ${legacy} }
  cards-service: { url: ${cards} }
rules:
  - name: staff-cohort
    match:
      path: /cards/:id
      headers: { x-strangler-cohort: { equals: staff } }
    upstream: cards-service
  - name: beta-cookie
    match: { path: /cards/:id, cookies: { beta: { present: true } } }
    upstream: cards-service
  - name: preview-query
    match: { path: /cards/:id, query: { preview: { equals: '1' } } }
    upstream: cards-service
  - name: feed
    match: { prefix: /feed }
    upstream: legacy
    canary:
      upstream: cards-service
      percent: ${canaryPercent}   # sticky by user
      stickyBy: { header: x-user-id }
default:
  upstream: legacy
`;
}

describe('traffic shifting (real stub upstreams)', () => {
  let legacy: ProgrammableUpstream;
  let cards: ProgrammableUpstream;
  let fixture: RoutesFixture;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    legacy = await startProgrammableUpstream('legacy');
    cards = await startProgrammableUpstream('cards-service');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() !== '') lines.push(JSON.parse(line));
        }
        callback();
      },
    });
    fixture = await startRoutesFixture(routes(legacy.url, cards.url), {
      logger: pino({ level: 'info' }, sink),
    });
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([legacy.close(), cards.close()]);
  });

  const upstreamOf = async (path: string, headers: Record<string, string> = {}) => {
    const reply = await send(fixture.facade.port, path, { headers });
    return [reply.headers['x-strangler-route'], reply.headers['x-strangler-upstream']];
  };

  it('routes on a cookie and on a query parameter', async () => {
    expect(await upstreamOf('/cards/1', { cookie: 'a=1; beta=yes' })).toEqual([
      'beta-cookie',
      'cards-service',
    ]);
    expect(await upstreamOf('/cards/1?x=1&preview=1')).toEqual(['preview-query', 'cards-service']);
    expect(await upstreamOf('/cards/1?preview=0')).toEqual(['default', 'legacy']);
    expect(await upstreamOf('/cards/1', { cookie: 'betamax=1' })).toEqual(['default', 'legacy']);
  });

  it('strips internal headers of untrusted clients: no cohort routing, nothing forwarded', async () => {
    const before = legacy.received.length;
    expect(
      await upstreamOf('/cards/1', {
        'x-strangler-cohort': 'staff',
        'x-strangler-upstream': 'cards-service',
      }),
    ).toEqual(['default', 'legacy']);
    const seen = legacy.received[before];
    expect(seen?.headers['x-strangler-cohort']).toBeUndefined();
    expect(seen?.headers['x-strangler-upstream']).toBeUndefined();
  });

  it('honours internal headers of trusted clients (cohort match, upstream selection)', async () => {
    await fixture.write(routes(legacy.url, cards.url, '127.0.0.1/32'));
    await fixture.facade.reload();
    try {
      expect(await upstreamOf('/cards/1', { 'x-strangler-cohort': 'staff' })).toEqual([
        'staff-cohort',
        'cards-service',
      ]);
      const before = cards.received.length;
      expect(await upstreamOf('/other', { 'x-strangler-upstream': 'cards-service' })).toEqual([
        'default',
        'cards-service',
      ]);
      expect(cards.received[before]?.headers['x-strangler-upstream']).toBe('cards-service');
    } finally {
      await fixture.write(routes(legacy.url, cards.url));
      await fixture.facade.reload();
    }
  });

  it('splits by sticky user: each user always sees one side, about the declared share', async () => {
    const users = Array.from({ length: 300 }, (_, index) => `user-${index}`);
    const sides = new Map<string, string>();
    for (const user of users) {
      const [, upstream] = await upstreamOf('/feed', { 'x-user-id': user });
      sides.set(user, String(upstream));
    }
    for (const user of users.slice(0, 60)) {
      const [, upstream] = await upstreamOf('/feed/again', { 'x-user-id': user });
      expect(upstream).toBe(sides.get(user));
    }
    const canary = [...sides.values()].filter((side) => side === 'cards-service').length;
    expect(canary / users.length).toBeGreaterThan(0.2);
    expect(canary / users.length).toBeLessThan(0.4);

    // 30% → 60%: every canary user stays on the canary
    await fixture.write(routes(legacy.url, cards.url, '', 60));
    await fixture.facade.reload();
    try {
      for (const user of users) {
        if (sides.get(user) !== 'cards-service') continue;
        const [, upstream] = await upstreamOf('/feed', { 'x-user-id': user });
        expect({ user, upstream }).toEqual({ user, upstream: 'cards-service' });
      }
    } finally {
      await fixture.write(routes(legacy.url, cards.url));
      await fixture.facade.reload();
    }
  });

  it('keeps a valid traceparent (new span, same trace) and starts one when absent', async () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    let before = legacy.received.length;
    await send(fixture.facade.port, '/kept', { headers: { traceparent: incoming } });
    const kept = String(legacy.received[before]?.headers.traceparent);
    expect(kept).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(kept).not.toBe(incoming);

    before = legacy.received.length;
    await send(fixture.facade.port, '/started', { headers: { 'x-request-id': 'req-started' } });
    const started = String(legacy.received[before]?.headers.traceparent);
    expect(started).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(legacy.received[before]?.headers['x-request-id']).toBe('req-started');

    // one access-log line per request, with the request id and the trace id
    const line = lines.find((entry) => entry.requestId === 'req-started');
    expect(line).toMatchObject({
      msg: 'request',
      method: 'GET',
      path: '/started',
      rule: 'default',
      upstream: 'legacy',
      status: 200,
      traceId: started.slice(3, 35),
    });
    expect(lines.filter((entry) => entry.requestId === 'req-started')).toHaveLength(1);
  });
});
