/**
 * Fallback, retry rules and the circuit breaker against an upstream that is really KILLED
 * (server closed, sockets cut) and RESTARTED on the same port.
 */
import { send, sendAdmin } from './support/http-client.js';
import { eventually } from './support/http-client.js';
import {
  jsonAnswer,
  startProgrammableUpstream,
  type ProgrammableUpstream,
} from './support/programmable-upstream.js';
import { PROXY_CORES } from './support/proxy-cores.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';

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
    circuitBreaker: { failureRatio: 0.5, minRequests: 4, windowSeconds: 10, openSeconds: 0.3 }
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
