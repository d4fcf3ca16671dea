/**
 * Cases recorded from live traffic: a running facade shadows a rule to a candidate that changes
 * one field; `strangler routes record-cases` exports the stored mismatch and the sampled match as
 * a case file; `runContracts` runs it against the same two sides: the mismatch case fails naming
 * the field, the match case passes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { recordCasesCommand } from '../../cli/routes/record-cases.js';
import { startFacade, type RunningFacade } from '../../strangler-facade/src/facade.js';

const ADMIN_TOKEN = 'record-cases-admin-token-0123';
import { loadCaseFiles } from '../src/load-case-files.js';
import { runContracts } from '../src/run-contracts.js';
import { startStub, type StubServer } from './support/stub-server.js';

describe('record-cases from shadow traffic', () => {
  let legacy: StubServer;
  let candidate: StubServer;
  let facade: RunningFacade;
  let directory: string;

  const card = (url: string, likes: number) => {
    const id = url.split('?')[0].split('/')[2] ?? '';
    return { json: { id, title: `Card ${id}`, likeCount: likes } };
  };

  beforeAll(async () => {
    legacy = await startStub((request) => card(request.url, 1));
    // The candidate changes one field, for card 2 only.
    candidate = await startStub((request) => card(request.url, request.url === '/cards/2' ? 0 : 1));
    directory = await mkdtemp(path.join(os.tmpdir(), 'record-cases-'));
    const routesFile = path.join(directory, 'routes.yaml');
    await writeFile(
      routesFile,
      `version: 1
upstreams:
  legacy: { url: ${legacy.url} }
  cards-service: { url: ${candidate.url} }
rules:
  - name: cards-read
    match: { path: /cards/:id, methods: [GET] }
    upstream: legacy
    shadow:
      upstream: cards-service
      compare: { ignore: ['$.etag'], headers: [content-type] }
default:
  upstream: legacy
`,
    );
    facade = await startFacade({
      routesFile,
      port: 0,
      adminPort: 0,
      adminToken: ADMIN_TOKEN,
      watch: false,
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await facade.close();
    await Promise.all([legacy.close(), candidate.close()]);
    await rm(directory, { recursive: true, force: true });
  });

  it('exports a mismatch and a sampled match that run as contract cases', async () => {
    for (const url of ['/cards/1', '/cards/2', '/cards/2', '/cards/3']) {
      const reply = await fetch(`${facade.url}${url}`, {
        headers: { authorization: 'Bearer secret', accept: 'application/json' },
      });
      expect(reply.status).toBe(200);
      await reply.text();
    }
    await facade.shadowIdle();

    const out: string[] = [];
    const err: string[] = [];
    await recordCasesCommand(
      {
        rule: 'cards-read',
        out: 'recorded',
        admin: facade.adminUrl,
        include: 'mismatches,matches',
      },
      {
        out: (text) => out.push(text),
        err: (text) => err.push(text),
        env: { STRANGLER_ADMIN_TOKEN: ADMIN_TOKEN },
        cwd: directory,
        color: false,
      },
    );
    const file = path.join(directory, 'recorded', 'cards-read.recorded.yaml');
    expect(out.join('')).toMatch(/wrote 2 case\(s\) to recorded\/cards-read\.recorded\.yaml/);
    expect(err.join('')).toMatch(/same request as an earlier case/);
    const text = await readFile(file, 'utf8');
    expect(text).not.toMatch(/secret|authorization|traceparent|&a1/);

    const [loaded] = await loadCaseFiles([file]);
    expect(loaded.file.endpoint).toBe('GET /cards/:id');
    expect(loaded.file.cases.map((entry) => entry.request.path)).toEqual(['/cards/2', '/cards/1']);
    expect(loaded.file.cases[0].compare).toEqual({
      ignore: ['$.etag'],
      headers: ['content-type'],
    });

    const result = await runContracts({
      oldBaseUrl: legacy.url,
      newBaseUrl: candidate.url,
      caseFiles: [loaded],
    });
    expect(result.ok).toBe(false);
    expect(result.cases).toHaveLength(2);
    const mismatch = result.cases.find((entry) => entry.name.startsWith('GET /cards/2 '));
    const match = result.cases.find((entry) => entry.name.startsWith('GET /cards/1 '));
    expect(mismatch?.outcome).toBe('failed');
    expect(
      mismatch?.exchanges.flatMap((exchange) =>
        exchange.comparison.differences.map((difference) => difference.path),
      ),
    ).toContain('$.likeCount');
    expect(match?.outcome).toBe('passed');
  });
});
