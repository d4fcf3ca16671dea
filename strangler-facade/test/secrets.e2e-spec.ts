/**
 * Secrets never reach what the facade keeps: stored shadow mismatches, sampled matches exported
 * as cases, and the access log. Always the Authorization, Cookie, Set-Cookie and
 * Proxy-Authorization headers; plus the headers, query parameters and JSON paths routes.yaml
 * lists under `settings.secrets`. The candidate still gets the real request.
 */
import { Writable } from 'node:stream';

import { pino } from 'pino';

import { send, sendAdmin } from './support/http-client.js';
import {
  startProgrammableUpstream,
  type ProgrammableUpstream,
} from './support/programmable-upstream.js';
import { startRoutesFixture, type RoutesFixture } from './support/routes-fixture.js';

const SECRETS = ['s3cr3t-auth', 's3cr3t-cookie', 's3cr3t-key', 's3cr3t-query', 's3cr3t-body'];
const ANSWER_SECRETS = ['s3cr3t-token-legacy', 's3cr3t-token-new', 's3cr3t-sid'];

describe('secrets in stored comparisons and the access log', () => {
  let legacy: ProgrammableUpstream;
  let candidate: ProgrammableUpstream;
  let fixture: RoutesFixture;
  const logLines: string[] = [];

  beforeAll(async () => {
    legacy = await startProgrammableUpstream('legacy');
    candidate = await startProgrammableUpstream('cards-service');
    const answer = (token: string) => (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': `sid=s3cr3t-sid-${token}`,
      });
      res.end(
        JSON.stringify({ id: 1, session: { token }, title: token.endsWith('new') ? 'b' : 'a' }),
      );
    };
    legacy.handler = answer('s3cr3t-token-legacy');
    candidate.handler = answer('s3cr3t-token-new');
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          done();
        },
      }),
    );
    fixture = await startRoutesFixture(
      `version: 1
settings:
  secrets:
    headers: [x-api-key]
    query: [access_token]
    jsonPaths: ['$.password', '$..token']
upstreams:
  legacy: { url: ${legacy.url} }
  cards-service: { url: ${candidate.url} }
rules:
  - name: cards
    match: { prefix: /cards }
    upstream: legacy
    shadow:
      upstream: cards-service
      sideEffectFree: true
      compare: { headers: [set-cookie] }
default:
  upstream: legacy
`,
      { logger },
    );
  });
  afterAll(async () => {
    await fixture.close();
    await Promise.all([legacy.close(), candidate.close()]);
  });

  it('compares on the real exchange but stores and logs none of the secrets', async () => {
    const headers = {
      authorization: 'Bearer s3cr3t-auth',
      cookie: 'session=s3cr3t-cookie',
      'x-api-key': 's3cr3t-key',
      'content-type': 'application/json',
    };
    const reply = await send(fixture.facade.port, '/cards/1?page=2&access_token=s3cr3t-query', {
      method: 'POST',
      headers,
      body: JSON.stringify({ password: 's3cr3t-body', title: 'x' }),
    });
    expect(reply.status).toBe(200);
    await fixture.facade.shadowIdle();

    // the candidate got the real request
    const copy = candidate.received.at(-1);
    expect(copy?.headers.authorization).toBe('Bearer s3cr3t-auth');
    expect(copy?.body).toContain('s3cr3t-body');

    const mismatches = await sendAdmin(fixture.facade.adminPort, '/shadow/mismatches?rule=cards');
    const stored = mismatches.json<{ mismatches: { request: { url: string } }[] }>().mismatches;
    expect(stored).toHaveLength(1);
    expect(stored[0]?.request.url).toBe('/cards/1?page=2&access_token=[redacted]');
    const cases = await sendAdmin(fixture.facade.adminPort, '/shadow/cases?rule=cards');
    for (const text of [mismatches.text, cases.text]) {
      for (const secret of [...SECRETS, ...ANSWER_SECRETS]) expect(text).not.toContain(secret);
      expect(text).toContain('[redacted]');
    }
    // the differences are still reported where they are
    expect(mismatches.text).toContain('$.session.token');
    expect(mismatches.text).toContain('headers.set-cookie');

    const line = logLines.find((entry) => entry.includes('"msg":"request"'));
    expect(line).toBeDefined();
    expect(line).toContain('access_token=[redacted]');
    for (const secret of SECRETS) expect(line).not.toContain(secret);
  });
});
