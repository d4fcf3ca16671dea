/**
 * Shadow traffic: the client gets the primary's answer without waiting for the candidate, a
 * copy goes to the candidate, the answers are compared off the request path, noise is learned
 * from a second primary answer, and mismatches are summarised per route.
 */
import { send, sendAdmin } from './support/http-client.js';
import {
  startProgrammableUpstream,
  type ProgrammableUpstream,
} from './support/programmable-upstream.js';
import { PROXY_CORES } from './support/proxy-cores.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';

describe.each(PROXY_CORES)('%s core: shadow traffic', (_core, createCore) => {
  let legacy: ProgrammableUpstream;
  let candidate: ProgrammableUpstream;
  let fixture: RoutesFixture;
  let clock = 0;

  beforeAll(async () => {
    legacy = await startProgrammableUpstream('legacy');
    candidate = await startProgrammableUpstream('cards-service');
    // A card whose updatedAt changes on every call (noise); the candidate changes card 2's title.
    const card = (id: string, title: string) => ({
      id,
      title,
      tags: ['a', 'b', 'c'],
      updatedAt: new Date(1_700_000_000_000 + (clock += 1000)).toISOString(),
    });
    legacy.handler = (req, res) => {
      const id = (req.url ?? '').split('/')[2] ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(card(id, `Card ${id}`)));
    };
    candidate.handler = (req, res) => {
      const id = (req.url ?? '').split('/')[2] ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      const answer = card(id, id === '2' ? 'Changed title' : `Card ${id}`);
      answer.tags = ['c', 'a', 'b']; // declared unordered
      res.end(JSON.stringify(answer));
    };
    fixture = await startRoutesFixture(
      `version: 1
upstreams:
  legacy: { url: ${legacy.url} }
  cards-service: { url: ${candidate.url} }
rules:
  - name: cards-read
    match: { path: /cards/:id }
    upstream: legacy
    shadow:
      upstream: cards-service
      learnNoise: true          # the primary is asked twice
      compare: { unordered: ['$.tags'], headers: [content-type] }
  - name: cards-write
    match: { prefix: /cards }
    upstream: legacy
    shadow: { upstream: cards-service }
  - name: notes-write
    match: { prefix: /notes }
    upstream: legacy
    shadow: { upstream: cards-service, sideEffectFree: true, maxBodyBytes: 16 }
default:
  upstream: legacy
`,
      { createCore },
    );
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([legacy.close(), candidate.close()]);
  });

  it('learns updatedAt as noise and reports the changed title as a failure', async () => {
    for (let round = 0; round < 12; round += 1) {
      for (const id of ['1', '2', '3']) {
        const reply = await send(fixture.facade.port, `/cards/${id}`);
        expect(reply.json()).toMatchObject({ id, title: `Card ${id}` }); // always the primary's
      }
    }
    await fixture.facade.shadowIdle();
    const summary = (await sendAdmin(fixture.facade.adminPort, '/shadow/summary')).json<{
      routes: {
        rule: string;
        compared: number;
        failing: number;
        learned: number;
        description: string;
        fields: { path: string; failing: number; noise: number; noiseRatio: number }[];
        noisyFields: string[];
      }[];
      table: string;
    }>();
    const route = summary.routes.find((entry) => entry.rule === 'cards-read');
    expect(route).toMatchObject({
      compared: 36,
      failing: 12,
      learned: 36,
      description: '12 failing of 36 compared',
    });
    const fields = Object.fromEntries((route?.fields ?? []).map((field) => [field.path, field]));
    expect(fields['$.title']).toMatchObject({ failing: 12, noise: 0 });
    expect(fields['$.updatedAt']).toMatchObject({ failing: 0, noise: 36, noiseRatio: 1 });
    expect(fields['$.tags']).toBeUndefined(); // unordered: same elements
    expect(route?.noisyFields).toContain('$.updatedAt');
    expect(summary.table).toMatch(/12 failing of 36 compared/);

    const mismatches = (
      await sendAdmin(fixture.facade.adminPort, '/shadow/mismatches?rule=cards-read&limit=5')
    ).json<{
      mismatches: { request: { url: string }; result: { differences: { path: string }[] } }[];
    }>().mismatches;
    expect(mismatches).toHaveLength(5);
    for (const entry of mismatches) {
      expect(entry.request.url).toBe('/cards/2');
      expect(entry.result.differences.map((difference) => difference.path)).toEqual(['$.title']);
    }
    const metrics = (await sendAdmin(fixture.facade.adminPort, '/metrics')).text;
    expect(metrics).toMatch(
      /strangler_shadow_comparisons_total\{rule="cards-read",result="mismatch"\} 12/,
    );
    expect(metrics).toMatch(
      /strangler_shadow_comparisons_total\{rule="cards-read",result="match"\} 24/,
    );
  });

  it('answers the client before a slow candidate has answered', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let candidateAnswered = false;
    const reachedCandidate = new Promise<void>((resolve) => {
      candidate.handler = (_req, res) => {
        resolve();
        void released.then(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"id":"9","title":"Card 9"}');
          candidateAnswered = true;
        });
      };
    });
    const reply = await send(fixture.facade.port, '/cards/9');
    expect(reply.status).toBe(200);
    expect(candidateAnswered).toBe(false); // the client had its answer first
    await reachedCandidate; // and the copy did reach the candidate
    expect(candidateAnswered).toBe(false);
    release();
    await fixture.facade.shadowIdle();
    expect(candidateAnswered).toBe(true);
  });

  it('does not shadow writes unless the rule says the candidate is side-effect free', async () => {
    await fixture.facade.shadowIdle();
    const before = candidate.received.length;
    await send(fixture.facade.port, '/cards', { method: 'POST', body: '{"a":1}' });
    await fixture.facade.shadowIdle();
    expect(candidate.received.length).toBe(before);

    await send(fixture.facade.port, '/notes', { method: 'POST', body: '{"note":1}' });
    await fixture.facade.shadowIdle();
    expect(candidate.received.length).toBe(before + 1);
    expect(candidate.received.at(-1)).toMatchObject({ method: 'POST', body: '{"note":1}' });
    expect(candidate.received.at(-1)?.headers['x-strangler-shadow']).toBe('1');
  });

  it('drops bodies over maxBodyBytes from shadowing; the primary still gets all of it', async () => {
    const before = candidate.received.length;
    const body = 'x'.repeat(100);
    const reply = await send(fixture.facade.port, '/notes', { method: 'POST', body });
    expect(reply.status).toBe(200);
    expect(legacy.received.at(-1)?.body).toBe(body);
    await fixture.facade.shadowIdle();
    expect(candidate.received.length).toBe(before);
    expect((await sendAdmin(fixture.facade.adminPort, '/metrics')).text).toMatch(
      /strangler_shadow_skipped_total\{rule="notes-write",reason="body_too_large"\} 1/,
    );
  });
});
