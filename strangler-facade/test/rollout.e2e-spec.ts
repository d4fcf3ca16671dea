/**
 * Staged rollout: the facade advances the canary step by step while the candidate is healthy,
 * rolls back to 0 when it starts failing, writes each new percent to routes.yaml (comments
 * kept) and records why. Decisions are triggered with `rolloutTick()` (no timer).
 */
import { send, sendAdmin } from './support/http-client.js';
import {
  jsonAnswer,
  startProgrammableUpstream,
  type ProgrammableUpstream,
} from './support/programmable-upstream.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';

interface RolloutsReply {
  rollouts: {
    rule: string;
    percent: number;
    state: string;
    requests: number;
    lastDecision: { decision: string; from: number; to: number; reason: string } | null;
    history: { decision: string; from: number; to: number; reason: string }[];
  }[];
}

describe('staged rollout (real stub upstreams)', () => {
  let legacy: ProgrammableUpstream;
  let candidate: ProgrammableUpstream;
  let fixture: RoutesFixture;
  let user = 0;

  beforeAll(async () => {
    legacy = await startProgrammableUpstream('legacy');
    candidate = await startProgrammableUpstream('cards-service');
    fixture = await startRoutesFixture(`version: 1
upstreams:
  legacy: { url: ${legacy.url} }
  cards-service: { url: ${candidate.url} }
rules:
  # cards move to the new service in stages
  - name: cards-read
    match: { methods: [GET], path: /cards/:id }
    upstream: legacy
    canary:
      upstream: cards-service
      percent: 10 # started by hand; the facade takes it from here
      stickyBy: { header: x-user-id }
      rollout:
        steps: [10, 50, 100]
        minRequests: 8
        minIntervalSeconds: 0
        abortOn: { errorRate: 0.2 }
default:
  upstream: legacy
`);
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([legacy.close(), candidate.close()]);
  });

  /** Requests from new users until the canary has seen `canaryRequests` of them. */
  async function traffic(canaryRequests: number): Promise<void> {
    const before = candidate.received.length;
    for (
      let sent = 0;
      sent < 2_000 && candidate.received.length - before < canaryRequests;
      sent++
    ) {
      user += 1;
      await send(fixture.facade.port, `/cards/${user}`, { headers: { 'x-user-id': `u${user}` } });
    }
  }
  const rollouts = async () =>
    (await sendAdmin(fixture.facade.adminPort, '/rollouts')).json<RolloutsReply>().rollouts[0];

  it('holds until the step has its minimum of canary requests', async () => {
    await traffic(3);
    await fixture.facade.rolloutTick();
    expect(await rollouts()).toMatchObject({ percent: 10, state: 'running', lastDecision: null });
  });

  it('advances 10 → 50 → 100 while healthy, writing routes.yaml each time', async () => {
    await traffic(8);
    await fixture.facade.rolloutTick();
    expect(await fixture.read()).toMatch(/percent: 50 # started by hand/);
    expect(fixture.facade.currentRules().table.rules[0]?.canary?.percent).toBe(50);
    expect(await rollouts()).toMatchObject({
      percent: 50,
      lastDecision: { decision: 'advance', from: 10, to: 50 },
    });
    await traffic(8);
    await fixture.facade.rolloutTick();
    expect(await fixture.read()).toMatch(/percent: 100/);
    expect(await fixture.read()).toMatch(/# cards move to the new service in stages/);
  });

  it('rolls back to 0 when the canary starts failing, and records why', async () => {
    await fixture.write((await fixture.read()).replace('percent: 100', 'percent: 50'));
    await fixture.facade.reload();
    candidate.handler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"boom"}');
    };
    await traffic(10);
    await fixture.facade.rolloutTick();
    expect(await fixture.read()).toMatch(/percent: 0 # started by hand/);
    expect(fixture.facade.currentRules().table.rules[0]?.canary?.percent).toBe(0);
    const status = await rollouts();
    expect(status).toMatchObject({
      percent: 0,
      state: 'aborted',
      lastDecision: { decision: 'abort', from: 50, to: 0 },
    });
    expect(status?.lastDecision?.reason).toMatch(
      /error rate 1 > 0.2 \(\d+ of \d+ canary requests at 50%\)/,
    );
    // aborted stays aborted: no traffic reaches the canary, no decision moves it
    candidate.handler = jsonAnswer('cards-service');
    const before = candidate.received.length;
    await traffic(0);
    for (let index = 0; index < 20; index += 1) {
      await send(fixture.facade.port, `/cards/x${index}`, {
        headers: { 'x-user-id': `v${index}` },
      });
    }
    await fixture.facade.rolloutTick();
    expect(candidate.received.length).toBe(before);
    expect((await rollouts())?.percent).toBe(0);
    const metrics = (await sendAdmin(fixture.facade.adminPort, '/metrics')).text;
    expect(metrics).toMatch(
      /strangler_rollout_decisions_total\{rule="cards-read",decision="abort"\} 1/,
    );
    expect(metrics).toMatch(
      /strangler_rollout_decisions_total\{rule="cards-read",decision="advance"\} 2/,
    );
  });
});
