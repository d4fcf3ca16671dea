import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request as undiciRequest } from 'undici';
import type { ContractRunResult } from '../src/contract-results.js';
import { renderJunitXml } from '../src/junit-report.js';
import { renderRunReport } from '../src/render-report.js';
import { runContracts } from '../src/run-contracts.js';
import { E2E_TIMEOUT_MS, startCardsPair, type CardsPair } from './support/cards-pair.js';

const CARDS_SUITE = fileURLToPath(new URL('../../contracts/cards', import.meta.url));

/**
 * The repository's own contract suite (contracts/cards) on the real pair: legacy-monolith and
 * cards-service on the same seeded data. Every case must pass; and a new side that renames one
 * field must make the suite fail and name the field.
 */
describe('contracts/cards: legacy-monolith versus cards-service', () => {
  let pair: CardsPair;

  beforeAll(async () => {
    pair = await startCardsPair('contracts');
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    await pair?.stop();
  }, E2E_TIMEOUT_MS);

  it(
    'every case of the suite passes',
    async () => {
      const result = await runContracts({
        oldBaseUrl: pair.oldBaseUrl,
        newBaseUrl: pair.newBaseUrl,
        cases: CARDS_SUITE,
        vars: pair.vars,
        concurrency: 4,
      });
      const failing = result.cases.filter(
        (entry) => entry.outcome === 'failed' || entry.outcome === 'error',
      );
      // The whole report (diffs of every failing case) is the failure message.
      if (failing.length > 0) throw new Error(renderRunReport(result));
      expect(result.ok).toBe(true);
      expect(result.cases.flatMap((entry) => entry.warnings)).toEqual([]);
      expect(result.cases.filter((entry) => entry.outcome === 'skipped')).toEqual([]);
      expect(result.totals.cases).toBeGreaterThanOrEqual(70);
      expect(result.endpoints.map((tally) => tally.endpoint).sort()).toEqual([
        'DELETE /cards/:id',
        'DELETE /cards/:id/like',
        'GET /cards',
        'GET /cards/:id',
        'GET /cards/:id/comments',
        'PATCH /cards/:id',
        'POST /cards',
        'POST /cards/:id/comments',
        'PUT /cards/:id/like',
      ]);
      // Every case compared at least its request, and writes were read back.
      const ran = result.cases.filter((entry) => entry.outcome !== 'skipped');
      expect(ran.every((entry) => entry.exchanges.length > 0)).toBe(true);
      expect(
        result.cases.some((entry) => entry.exchanges.some((x) => x.step === 'readBack[0]')),
      ).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'passes again on a second run: write cases clean up after themselves on both sides',
    async () => {
      const again = await runContracts({
        oldBaseUrl: pair.oldBaseUrl,
        newBaseUrl: pair.newBaseUrl,
        cases: CARDS_SUITE,
        vars: pair.vars,
        concurrency: 8,
      });
      if (!again.ok) throw new Error(renderRunReport(again));
      expect(again.cases.flatMap((entry) => entry.warnings)).toEqual([]);
    },
    E2E_TIMEOUT_MS,
  );

  describe('a new side that changes one field', () => {
    let proxy: http.Server;
    let proxyUrl: string;

    beforeAll(async () => {
      // Forwards to cards-service and renames `likeCount` to `likesCount` in JSON answers.
      proxy = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const headers = { ...req.headers };
          delete headers.host;
          undiciRequest(pair.newBaseUrl + (req.url ?? '/'), {
            method: req.method as 'GET',
            headers,
            body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
          })
            .then(async (upstream) => {
              let body = Buffer.from(await upstream.body.arrayBuffer());
              const type = String(upstream.headers['content-type'] ?? '');
              if (type.startsWith('application/json')) {
                body = Buffer.from(body.toString('utf8').replace(/"likeCount":/g, '"likesCount":'));
              }
              const out: http.OutgoingHttpHeaders = {
                ...upstream.headers,
                'content-length': String(body.length),
              };
              delete out['transfer-encoding'];
              delete out.connection;
              delete out['keep-alive'];
              res.writeHead(upstream.statusCode, out);
              res.end(body);
            })
            .catch((error: Error) => {
              res.writeHead(502).end(error.message);
            });
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    }, E2E_TIMEOUT_MS);

    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    });

    let result: ContractRunResult;

    it(
      'fails the like case and names the field',
      async () => {
        result = await runContracts({
          oldBaseUrl: pair.oldBaseUrl,
          newBaseUrl: proxyUrl,
          cases: CARDS_SUITE,
          vars: pair.vars,
          only: ['like-card › 204, read back as likeCount 1'],
        });
        expect(result.ok).toBe(false);
        expect(result.totals).toMatchObject({ cases: 1, failed: 1 });
        const [likeCase] = result.cases;
        expect(likeCase?.outcome).toBe('failed');
        const readBack = likeCase?.exchanges.find((exchange) => exchange.step === 'readBack[0]');
        expect(readBack?.comparison.differences).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ kind: 'missing', path: '$.likeCount', primary: '1' }),
            expect.objectContaining({ kind: 'extra', path: '$.likesCount', candidate: '1' }),
          ]),
        );
        const report = renderRunReport(result);
        expect(report).toContain('- $.likeCount: 1 → (absent)  [missing]');
        expect(report).toContain('like-card PUT /cards/:id/like');
        expect(renderJunitXml(result)).toMatch(
          /<failure message="[^"]*differences? between old and new" type="ContractMismatch">[^<]*\$\.likeCount/,
        );
      },
      E2E_TIMEOUT_MS,
    );

    it(
      'fails every list case that shows a card',
      async () => {
        const lists = await runContracts({
          oldBaseUrl: pair.oldBaseUrl,
          newBaseUrl: proxyUrl,
          cases: CARDS_SUITE,
          vars: pair.vars,
          only: ['list-cards › the first page'],
        });
        expect(lists.ok).toBe(false);
        const fields = lists.diffSummary.routes.flatMap((route) => route.fields.map((f) => f.path));
        expect(fields).toEqual(
          expect.arrayContaining(['$.items[*].likeCount', '$.items[*].likesCount']),
        );
      },
      E2E_TIMEOUT_MS,
    );
  });
});
