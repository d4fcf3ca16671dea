/**
 * Fallback, retry rules and the circuit breaker against an upstream that is really KILLED
 * (server closed, sockets cut) and RESTARTED on the same port.
 */
import { Agent, request, type ServerResponse } from 'node:http';

import { send, sendAdmin, type Reply } from './support/http-client.js';
import { eventually } from './support/http-client.js';
import {
  jsonAnswer,
  startProgrammableUpstream,
  type ProgrammableUpstream,
} from './support/programmable-upstream.js';
import { PROXY_CORES } from './support/proxy-cores.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';
import { startUpstreamProcess, type UpstreamProcess } from './support/upstream-process.js';

describe.each(PROXY_CORES)('%s core: fallback and circuit breaker', (_core, createCore) => {
  let primary: ProgrammableUpstream;
  let backup: ProgrammableUpstream;
  let fixture: RoutesFixture;

  beforeAll(async () => {
    primary = await startProgrammableUpstream('cards-service');
    backup = await startProgrammableUpstream('legacy');
    fixture = await startRoutesFixture(
      `version: 1
upstreams:
  legacy: { url: ${backup.url} }
  cards-service:
    url: ${primary.url}
    circuitBreaker: { failureRatio: 0.5, minRequests: 4, windowSeconds: 10, openSeconds: 1 }
rules:
  - name: cards
    match: { prefix: /cards }
    upstream: cards-service
    fallback: { upstream: legacy, retryBudget: 1 }
  - name: no-fallback
    match: { prefix: /plain }
    upstream: cards-service
default:
  upstream: legacy
`,
      { createCore },
    );
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([primary.close(), backup.close()]);
  });
  beforeEach(() => {
    primary.handler = jsonAnswer('cards-service');
    backup.handler = jsonAnswer('legacy');
  });

  const metricsText = async () => (await sendAdmin(fixture.facade.adminPort, '/metrics')).text;

  it('falls back on a 5xx for GET, but passes a POST 5xx through without retrying', async () => {
    primary.handler = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('primary overloaded');
    };
    const get = await send(fixture.facade.port, '/cards/1');
    expect(get.status).toBe(200);
    expect(get.headers['x-strangler-upstream']).toBe('legacy');

    const backupBefore = backup.received.length;
    const post = await send(fixture.facade.port, '/cards', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":"x"}',
    });
    expect(post.status).toBe(503);
    expect(post.text).toBe('primary overloaded');
    expect(backup.received.length).toBe(backupBefore);
  });

  it('never retries a POST whose bytes were sent (connection lost after sending)', async () => {
    primary.handler = (req) => req.socket.destroy();
    const backupBefore = backup.received.length;
    const primaryBefore = primary.received.length;
    const post = await send(fixture.facade.port, '/cards', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":"once"}',
    });
    expect(post.status).toBe(502);
    expect(primary.received.length).toBe(primaryBefore + 1);
    expect(backup.received.length).toBe(backupBefore);
    expect(await metricsText()).toMatch(
      /strangler_fallbacks_refused_total\{rule="cards",reason="not_idempotent"\} [1-9]/,
    );
  });

  it('survives the primary being killed and restarted: fallback, circuit opens, probes, closes', async () => {
    await primary.kill();
    // connect errors: every request (POST with its body too: nothing was sent) is served by legacy
    for (let index = 0; index < 6; index += 1) {
      const reply = await send(fixture.facade.port, `/cards/${index}`);
      expect(reply.status).toBe(200);
      expect(reply.headers['x-strangler-upstream']).toBe('legacy');
    }
    const post = await send(fixture.facade.port, '/cards', { method: 'POST', body: 'replayed' });
    expect(post.status).toBe(200);
    expect(backup.received.at(-1)?.body).toBe('replayed');
    expect((await sendAdmin(fixture.facade.adminPort, '/status')).json()).toMatchObject({
      circuits: { 'cards-service': 'open' },
    });
    expect(await metricsText()).toMatch(/strangler_circuit_state\{upstream="cards-service"\} 1/);
    // a rule without fallback gets a fast 503 while the circuit is open
    const refused = await send(fixture.facade.port, '/plain/1');
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({
      error: 'service_unavailable',
      upstream: 'cards-service',
    });

    await primary.restart();
    const primaryBefore = primary.received.length;
    // after openSeconds, one probe goes through; its success closes the circuit
    await eventually(async () => {
      const reply = await send(fixture.facade.port, '/cards/probe');
      return reply.headers['x-strangler-upstream'] === 'cards-service' ? true : undefined;
    }, 5_000);
    expect(primary.received.length).toBeGreaterThan(primaryBefore);
    expect((await sendAdmin(fixture.facade.adminPort, '/status')).json()).toMatchObject({
      circuits: { 'cards-service': 'closed' },
    });
    for (let index = 0; index < 3; index += 1) {
      const reply = await send(fixture.facade.port, `/plain/${index}`);
      expect(reply.headers['x-strangler-upstream']).toBe('cards-service');
    }
    const text = await metricsText();
    expect(text).toMatch(
      /strangler_fallbacks_total\{rule="cards",from="cards-service",to="legacy",reason="connect"\} [1-9]/,
    );
    expect(text).toMatch(
      /strangler_circuit_transitions_total\{upstream="cards-service",to="half-open"\} [1-9]/,
    );
  });
});

describe.each(PROXY_CORES)('%s core: what a breaker counts', (_core, createCore) => {
  let admin: ProgrammableUpstream;
  let fixture: RoutesFixture;

  beforeAll(async () => {
    admin = await startProgrammableUpstream('admin');
    fixture = await startRoutesFixture(
      `version: 1
settings:
  limits: { maxRequestBodyBytes: 4096 }
upstreams:
  legacy: { url: ${admin.url} }
  admin:
    url: ${admin.url}
    circuitBreaker: { failureRatio: 0.5, minRequests: 4, windowSeconds: 10, openSeconds: 5 }
rules:
  - name: admin
    match: { prefix: /admin }
    upstream: admin
  - name: admin-with-fallback
    match: { prefix: /replayable }
    upstream: admin
    fallback: { upstream: legacy }
default:
  upstream: legacy
`,
      { createCore },
    );
  });
  afterAll(async () => {
    await fixture.close();
    await admin.close();
  });

  const circuits = async () =>
    (await sendAdmin(fixture.facade.adminPort, '/status')).json<{
      circuits: Record<string, string>;
    }>().circuits;

  it("never opens on the facade's own 413 for chunked uploads over the limit", async () => {
    for (let index = 0; index < 12; index += 1) {
      const status = await uploadChunked(fixture.facade.port, '/admin/upload', 64 * 1024);
      expect([413, 0]).toContain(status); // 0: the facade closed before the client finished
    }
    expect((await circuits()).admin ?? 'closed').toBe('closed');
    const after = await send(fixture.facade.port, '/admin/ok');
    expect(after.status).toBe(200);
    expect(after.headers['x-strangler-upstream']).toBe('admin');
  });

  it('never opens on clients that go away before the answer', async () => {
    admin.handler = () => undefined; // never answers
    for (let index = 0; index < 8; index += 1) {
      await abortAfterSent(fixture.facade.port, '/admin/slow', () => admin.received.length);
    }
    admin.handler = jsonAnswer('admin');
    expect((await circuits()).admin ?? 'closed').toBe('closed');
    expect((await send(fixture.facade.port, '/admin/ok')).status).toBe(200);
  });

  it.each([
    ['streamed', '/admin/upload', 1024],
    ['replayed from a partial copy', '/replayable/upload', 6 * 1024],
  ])('never opens on clients that go away mid-upload (%s body)', async (_label, path, bytes) => {
    for (let index = 0; index < 8; index += 1)
      await abortMidUpload(fixture.facade.port, path, bytes);
    expect((await circuits()).admin ?? 'closed').toBe('closed');
    expect((await send(fixture.facade.port, '/admin/ok')).status).toBe(200);
  });
});

/** A chunked POST that sends `bytes` bytes, then the client goes away without finishing. */
async function abortMidUpload(port: number, path: string, bytes: number): Promise<void> {
  const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false });
  req.on('error', () => undefined);
  req.setHeader('transfer-encoding', 'chunked');
  req.write(Buffer.alloc(bytes, 'x'));
  await new Promise((resolve) => setTimeout(resolve, 50)); // the facade forwards what it has
  req.destroy();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A chunked POST of `bytes` bytes; resolves the status, or 0 when the connection was cut. */
function uploadChunked(port: number, path: string, bytes: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.setHeader('transfer-encoding', 'chunked');
    const chunk = Buffer.alloc(4096, 'x');
    for (let sent = 0; sent < bytes; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

/** A GET the client abandons once the upstream has received it. */
async function abortAfterSent(port: number, path: string, received: () => number): Promise<void> {
  const before = received();
  const req = request({ host: '127.0.0.1', port, path, agent: false });
  req.on('error', () => undefined);
  req.end();
  await eventually(() => (received() > before ? true : undefined));
  req.destroy();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe.each(PROXY_CORES)(
  '%s core: an extracted service killed under load',
  (_core, createCore) => {
    let extracted: UpstreamProcess;
    let legacy: ProgrammableUpstream;
    let fixture: RoutesFixture;

    beforeAll(async () => {
      extracted = await startUpstreamProcess('cards-service');
      legacy = await startProgrammableUpstream('legacy');
      fixture = await startRoutesFixture(
        `version: 1
upstreams:
  legacy: { url: ${legacy.url} }
  cards-service:
    url: ${extracted.url}
    circuitBreaker: { openSeconds: 1 }
rules:
  - name: cards
    match: { prefix: /cards }
    upstream: cards-service
    fallback: { upstream: legacy }
default:
  upstream: legacy
`,
        { createCore },
      );
    });
    afterAll(async () => {
      await fixture.close();
      await Promise.all([extracted.close(), legacy.close()]);
    });

    it('fails at most 0.1 % of GETs while it is SIGKILLed and restarted, then serves again', async () => {
      const load = startGetLoad(fixture.facade.port, '/cards/', 16);
      try {
        await load.reached(300);
        await extracted.kill();
        await load.reached(load.count() + 600); // the outage, under load
        await extracted.restart();
        // after openSeconds a probe finds it back: the traffic returns to the primary
        await eventually(
          () =>
            load.lastUpstreams(20).every((name) => name === 'cards-service') ? true : undefined,
          10_000,
        );
      } finally {
        await load.stop();
      }
      const outcome = load.outcome();
      expect(outcome.total).toBeGreaterThanOrEqual(900);
      expect(outcome.byUpstream.legacy).toBeGreaterThan(0); // the fallback did serve
      expect(outcome.failed / outcome.total).toBeLessThanOrEqual(0.001);
    });
  },
);

interface GetLoad {
  count(): number;
  /** Resolves once `total` requests have finished (fails after 15 s). */
  reached(total: number): Promise<void>;
  /** Upstreams that answered the last `n` successful requests. */
  lastUpstreams(n: number): string[];
  stop(): Promise<void>;
  outcome(): {
    total: number;
    failed: number;
    byUpstream: Record<string, number>;
    errors: string[];
  };
}

/** `concurrency` keep-alive clients sending GETs back to back until `stop()` (loopback). */
function startGetLoad(port: number, pathPrefix: string, concurrency: number): GetLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const answeredBy: string[] = [];
  const byUpstream: Record<string, number> = {};
  const errors: string[] = [];
  let total = 0;
  let failed = 0;
  let stopped = false;
  const getOnce = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, path: `${pathPrefix}${index}`, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            total += 1;
            const upstream = String(res.headers['x-strangler-upstream']);
            if (res.statusCode === 200) {
              answeredBy.push(upstream);
              byUpstream[upstream] = (byUpstream[upstream] ?? 0) + 1;
            } else {
              failed += 1;
              errors.push(`${res.statusCode} from ${upstream}`);
            }
            resolve();
          });
        },
      );
      req.on('error', (error) => {
        total += 1;
        failed += 1;
        errors.push(error.message);
        resolve();
      });
      req.end();
    });
  const worker = async (): Promise<void> => {
    for (let index = 0; !stopped; index += 1) await getOnce(index);
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    count: () => total,
    async reached(target) {
      await eventually(() => (total >= target ? true : undefined), 15_000, 5);
    },
    lastUpstreams: (n) => (answeredBy.length < n ? [] : answeredBy.slice(-n)),
    async stop() {
      stopped = true;
      await Promise.all(workers);
      agent.destroy();
    },
    outcome: () => ({ total, failed, byUpstream, errors: errors.slice(0, 10) }),
  };
}

describe.each(PROXY_CORES)('%s core: connections per upstream', (_core, createCore) => {
  let busy: ProgrammableUpstream;
  let fixture: RoutesFixture;
  const held: ServerResponse[] = [];
  const connections = new Set<number>();

  beforeAll(async () => {
    busy = await startProgrammableUpstream('cards-service');
    fixture = await startRoutesFixture(
      `version: 1
upstreams:
  legacy: { url: ${busy.url} }
  cards-service:
    url: ${busy.url}
    connections: { max: 2, queue: 2 }
    circuitBreaker: { minRequests: 1, failureRatio: 0.01 }
rules:
  - name: cards
    match: { prefix: /cards }
    upstream: cards-service
    fallback: { upstream: legacy }
default:
  upstream: legacy
`,
      { createCore },
    );
  });
  afterAll(async () => {
    await fixture.close();
    await busy.close();
  });

  it('opens at most `max` connections, queues `queue` more, and answers the rest 503 + Retry-After', async () => {
    busy.handler = (req, res) => {
      connections.add(req.socket.remotePort ?? 0);
      held.push(res); // answered once the test releases them
    };
    const answered: Reply[] = [];
    const replies = Array.from({ length: 7 }, (_, index) =>
      send(fixture.facade.port, `/cards/${index}`, {
        headers: { 'x-request-id': `busy-${index}` },
      }).then((reply) => {
        answered.push(reply);
        return reply;
      }),
    );
    // 2 on connections, 2 queued: the other 3 are refused at once, before anything is released
    await eventually(() => (answered.length === 3 && held.length === 2 ? true : undefined));
    for (const reply of answered) {
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('1');
      expect(reply.json()).toMatchObject({
        error: 'service_unavailable',
        upstream: 'cards-service',
        requestId: reply.headers['x-request-id'],
      });
      expect(String(reply.json().message)).toMatch(/2 connections in use and 2 requests waiting/);
    }
    // the upstream sees the queued ones only as connections free up
    while (busy.received.length < 4 || held.length > 0) {
      held.shift()?.end('{}');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const statuses = (await Promise.all(replies)).map((reply) => reply.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 503, 503, 503]);
    expect(connections.size).toBeLessThanOrEqual(2);
    // the facade's own 503s are not the upstream's failures: the circuit stays closed
    const status = await sendAdmin(fixture.facade.adminPort, '/status');
    expect(status.json<{ circuits: Record<string, string> }>().circuits['cards-service']).toBe(
      'closed',
    );
    expect((await sendAdmin(fixture.facade.adminPort, '/metrics')).text).toMatch(
      /strangler_limit_refusals_total\{reason="upstream_busy"\} 3/,
    );
  });
});
