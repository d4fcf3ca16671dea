import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { renderRunReport, runContracts } from '../../../strangler-contracts/index.js';
import { formatVerifyReport, verifyPipeline } from '../../../strangler-sync/src/index.js';
import { eventually } from '../../../strangler-sync/test/support/sync-fixture.js';
import { verifyReadModel } from '../src/read-model/verify-read-model.js';
import type { SearchPage } from '../src/search/search-hit.view.js';
import { startRewritingProxy } from './support/rewriting-proxy.js';
import {
  E2E_TIMEOUT_MS,
  query,
  startSearchStack,
  type SearchStack,
} from './support/search-stack.js';

const SEARCH_SUITE = fileURLToPath(new URL('../../../contracts/search', import.meta.url));
/** How long the two pipelines may take to carry a legacy change into the read model. */
const SYNC_DEADLINE_MS = 30_000;

async function search(baseUrl: string, params: Record<string, string>): Promise<SearchPage> {
  const response = await request(`${baseUrl}/search?${new URLSearchParams(params).toString()}`);
  const body = await response.body.json();
  if (response.statusCode !== 200)
    throw new Error(`GET /search → ${response.statusCode} ${JSON.stringify(body)}`);
  return body as SearchPage;
}

/**
 * search-service on its read model, fed by the real pipelines (legacy → cards → search), against
 * legacy-monolith on the same seeded data: the contract suite, then legacy writes arriving.
 */
describe('search-service: a read model fed by the sync', () => {
  let stack: SearchStack;

  beforeAll(async () => {
    stack = await startSearchStack('search');
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  }, E2E_TIMEOUT_MS);

  it('holds one document per card, with legacy’s exact search vector', async () => {
    const legacy = await query<{ id: string; status: string; vector: string }>(
      stack.legacyUrl,
      `SELECT id, status, search_vector::text AS vector FROM cards ORDER BY id`,
    );
    const documents = await query<{ id: string; status: string; vector: string }>(
      stack.searchUrl,
      `SELECT card_id AS id, status, search_vector::text AS vector
         FROM search_documents ORDER BY card_id`,
    );
    expect(documents.length).toBeGreaterThan(100);
    expect(documents).toEqual(legacy);
  });

  it('fires its triggers under session_replication_role = replica too (ENABLE ALWAYS)', async () => {
    const modes = await query<{ tgenabled: string }>(
      stack.searchUrl,
      `SELECT DISTINCT tgenabled FROM pg_trigger
        WHERE NOT tgisinternal AND tgname LIKE 'search_documents_after_%'`,
    );
    expect(modes).toEqual([{ tgenabled: 'A' }]);
  });

  it(
    'passes every case of contracts/search against legacy',
    async () => {
      const result = await runContracts({
        oldBaseUrl: stack.oldBaseUrl,
        newBaseUrl: stack.newBaseUrl,
        cases: SEARCH_SUITE,
        vars: stack.vars,
        concurrency: 4,
      });
      // The whole report (diffs of every failing case) is the failure message.
      if (!result.ok) throw new Error(renderRunReport(result));
      expect(result.cases.flatMap((entry) => entry.warnings)).toEqual([]);
      expect(result.cases.filter((entry) => entry.outcome !== 'passed')).toEqual([]);
      expect(result.totals.cases).toBeGreaterThanOrEqual(25);
      expect(result.endpoints.map((tally) => tally.endpoint)).toEqual(['GET /search']);
    },
    E2E_TIMEOUT_MS,
  );

  it('finds real hits, and never a hidden card', async () => {
    const hits = await search(stack.newBaseUrl, { q: 'protocol', pageSize: '100' });
    expect(hits.total).toBeGreaterThan(5);
    expect(hits.items[0]?.rank).toBeGreaterThan(0);
    const phrase = await search(stack.newBaseUrl, {
      q: `"${stack.vars.hiddenCardTitle}"`,
      pageSize: '100',
    });
    expect(phrase.items.map((hit) => hit.card.id)).not.toContain(stack.vars.hiddenCardId);
  });

  it(
    'fails the suite when search-service ranks differently, naming the field',
    async () => {
      const proxy = await startRewritingProxy(stack.newBaseUrl, (body) => {
        const page = body as SearchPage;
        if (page.items?.[0]) page.items[0].rank += 0.0001;
        return page;
      });
      try {
        const result = await runContracts({
          oldBaseUrl: stack.oldBaseUrl,
          newBaseUrl: proxy.url,
          cases: SEARCH_SUITE,
          vars: stack.vars,
          only: ['search › one word, with hits'],
        });
        expect(result.totals).toMatchObject({ cases: 1, failed: 1 });
        expect(result.cases[0]?.exchanges[0]?.comparison.differences).toEqual([
          expect.objectContaining({ kind: 'value', concretePath: '$.items[0].rank' }),
        ]);
      } finally {
        await proxy.close();
      }
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'shows legacy writes once the sync catches up: new card, hidden card, renamed author and tag, like',
    async () => {
      const before = await search(stack.oldBaseUrl, { q: 'protocol', pageSize: '100' });
      const [hidden, renamed, liked] = before.items.map((hit) => hit.card);
      if (!hidden || !renamed || !liked) throw new Error('the seed needs 3 hits for "protocol"');
      expect(renamed.author.id).not.toBe(hidden.author.id);

      const [card] = await query<{ id: string }>(
        stack.legacyUrl,
        `INSERT INTO cards (author_id, title, body)
         VALUES ($1, 'Zeppelin upkeep for the virtual protocol', 'Quixotic airships.')
         RETURNING id`,
        [liked.author.id],
      );
      const newCardId = card.id;
      await query(
        stack.legacyUrl,
        `WITH tag AS (INSERT INTO tags (name) VALUES ('zeppelins') RETURNING id)
         INSERT INTO card_tags (card_id, tag_id)
         SELECT $1::uuid, id FROM tag UNION ALL SELECT $1::uuid, id FROM tags WHERE name = 'postgres'`,
        [newCardId],
      );
      await query(stack.legacyUrl, `UPDATE cards SET status = 'hidden' WHERE id = $1`, [hidden.id]);
      await query(
        stack.legacyUrl,
        `UPDATE users SET display_name = 'Renamed In Legacy' WHERE id = $1`,
        [renamed.author.id],
      );
      await query(stack.legacyUrl, `UPDATE tags SET name = 'postgresql' WHERE name = 'postgres'`);
      await query(
        stack.legacyUrl,
        `INSERT INTO likes (user_id, card_id)
         SELECT u.id, $1 FROM users u
          WHERE NOT EXISTS (SELECT 1 FROM likes l WHERE l.user_id = u.id AND l.card_id = $1)
          ORDER BY u.id LIMIT 1`,
        [liked.id],
      );

      const queries: Record<string, string>[] = [
        { q: 'protocol', pageSize: '100' },
        { q: 'zeppelin' },
      ];
      // Caught up when both sides answer the same and the read model shows the new card.
      const caughtUp = await eventually(async () => {
        const fresh = await Promise.all(queries.map((params) => search(stack.newBaseUrl, params)));
        const legacy = await Promise.all(queries.map((params) => search(stack.oldBaseUrl, params)));
        const same = fresh[1]?.total === 1 && JSON.stringify(fresh) === JSON.stringify(legacy);
        return same ? fresh : undefined;
      }, SYNC_DEADLINE_MS);
      const [protocol, zeppelin] = caughtUp ?? [];

      expect(zeppelin?.items[0]?.card).toMatchObject({
        id: newCardId,
        tags: ['postgresql', 'zeppelins'],
        author: { id: liked.author.id },
        likeCount: 0,
      });
      const byId = new Map(protocol?.items.map((hit) => [hit.card.id, hit.card]));
      expect(byId.has(hidden.id)).toBe(false);
      expect(byId.get(renamed.id)?.author.displayName).toBe('Renamed In Legacy');
      expect(byId.get(liked.id)?.likeCount).toBe(liked.likeCount + 1);
      expect(byId.get(newCardId)).toBeDefined();

      // A deleted card (children first, as legacy's DELETE /cards/:id does) leaves the results.
      for (const table of ['likes', 'comments', 'card_tags'])
        await query(stack.legacyUrl, `DELETE FROM ${table} WHERE card_id = $1`, [newCardId]);
      await query(stack.legacyUrl, `DELETE FROM cards WHERE id = $1`, [newCardId]);
      await eventually(
        async () => (await search(stack.newBaseUrl, { q: 'zeppelin' })).total === 0,
        SYNC_DEADLINE_MS,
      );
    },
    E2E_TIMEOUT_MS,
  );

  it('holds raw tables equal to the cards database (strangler-sync verify), and the documents they imply (verifyReadModel)', async () => {
    const { definition, urls } = stack.pipelines.search;
    const report = await verifyPipeline(definition, urls);
    if (!report.identical) throw new Error(formatVerifyReport(report));
    expect(report.tables).toHaveLength(6);
    expect(report.tables.every((table) => table.targetRows === table.sourceRows)).toBe(true);
    // And the read model equals what those raw tables imply, document for document.
    const readModel = await verifyReadModel(stack.searchUrl);
    expect(readModel).toMatchObject({ identical: true, missing: [], stale: [], extra: [] });
    expect(readModel.documents).toBeGreaterThan(100);
  });

  it('keeps the read model current when the apply runs as a replica', async () => {
    const [document] = await query<{ card_id: string; like_count: number }>(
      stack.searchUrl,
      `SELECT card_id, like_count FROM search_documents ORDER BY card_id LIMIT 1`,
    );
    const replicaLike = `BEGIN;
      SET LOCAL session_replication_role = replica;
      INSERT INTO likes (user_id, card_id)
        VALUES ('00000000-0000-4000-8000-00000000feed', '${document.card_id}');
      COMMIT`;
    await query(stack.searchUrl, replicaLike);
    const count = async () =>
      (
        await query<{ like_count: number }>(
          stack.searchUrl,
          `SELECT like_count FROM search_documents WHERE card_id = $1`,
          [document.card_id],
        )
      )[0]?.like_count;
    expect(await count()).toBe(document.like_count + 1);
    await query(
      stack.searchUrl,
      `BEGIN; SET LOCAL session_replication_role = replica;
       DELETE FROM likes WHERE user_id = '00000000-0000-4000-8000-00000000feed'; COMMIT`,
    );
    expect(await count()).toBe(document.like_count);
  });
});
