import { jest } from '@jest/globals';
import path from 'node:path';
import { runCardsMigrations } from '../../extracted/cards-service/src/database/run-migrations.js';
import { runLegacyMigrations } from '../../legacy-monolith/src/database/run-migrations.js';
import { seedLegacyDatabase } from '../../legacy-monolith/src/seed/seed-legacy-database.js';
import { createTestDatabase } from '../../test-support/database.js';
import { formatStatus } from '../src/cli.js';
import { syncMetrics } from '../src/metrics.js';
import { loadPipelineDefinition } from '../src/pipeline-definition/load-pipeline-definition.js';
import type { PipelineDefinition } from '../src/pipeline-definition/pipeline-definition.schema.js';
import {
  dropPipelineSource,
  readPipelineStatus,
  startPipeline,
  type RunningPipeline,
} from '../src/pipeline/start-pipeline.js';
import { verifyPipeline } from '../src/verify/verify-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

const PIPELINES = path.join(import.meta.dirname, '../../migrations/pipelines');

jest.setTimeout(120_000);

async function eventsHandled(pipeline: string): Promise<number> {
  return (await syncMetrics.eventsApplied.get()).values
    .filter((v) => v.labels.pipeline === pipeline)
    .reduce((sum, v) => sum + v.value, 0);
}

async function echoesSkipped(pipeline: string): Promise<number> {
  return (await syncMetrics.echoTransactionsSkipped.get()).values
    .filter((v) => v.labels.pipeline === pipeline)
    .reduce((sum, v) => sum + v.value, 0);
}

/** The example's two pipeline files, legacy <-> cards-service, streaming at the same time. */
describe('cards and cards-reverse: the example pipelines in both directions (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  let legacyUrl: string;
  let cardsUrl: string;
  let forward: PipelineDefinition;
  let reverse: PipelineDefinition;
  const forwardUrls = () => ({ sourceUrl: legacyUrl, targetUrl: cardsUrl });
  const reverseUrls = () => ({ sourceUrl: cardsUrl, targetUrl: legacyUrl });
  const running: RunningPipeline[] = [];
  let barriers = 0;

  const legacy = (sql: string, values: unknown[] = []) => fixture.rows(legacyUrl, sql, values);
  const cards = (sql: string, values: unknown[] = []) => fixture.rows(cardsUrl, sql, values);

  /** A native legacy write awaited in the cards database: `cards` has handled all before it. */
  async function forwardBarrier(): Promise<void> {
    barriers += 1;
    const name = `barrier ${barriers}`;
    await legacy(
      `UPDATE users SET display_name = $1 WHERE id = (SELECT min(id::text)::uuid FROM users)`,
      [name],
    );
    await eventually(
      async () => (await cards(`SELECT 1 FROM authors WHERE display_name = $1`, [name])).length,
    );
  }

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-cards-two-directions');
    legacyUrl = await createTestDatabase(fixture.cluster, 'legacy');
    cardsUrl = await createTestDatabase(fixture.cluster, 'cards');
    await runLegacyMigrations(legacyUrl);
    await seedLegacyDatabase(legacyUrl, { seed: 11, users: 20, cards: 40 });
    await runCardsMigrations(cardsUrl);
    forward = await loadPipelineDefinition(path.join(PIPELINES, 'cards.pipeline.yaml'));
    reverse = await loadPipelineDefinition(path.join(PIPELINES, 'cards-reverse.pipeline.yaml'));
    // Forward first (its initial copy fills the cards database), then the reverse (no copy).
    running.push(await startPipeline(forward, forwardUrls()));
    running.push(await startPipeline(reverse, reverseUrls()));
  }, 120_000);

  afterAll(async () => {
    for (const pipeline of running) await pipeline.stop().catch(() => undefined);
    if (legacyUrl && cardsUrl) {
      await dropPipelineSource(forward, forwardUrls()).catch(() => undefined);
      await dropPipelineSource(reverse, reverseUrls()).catch(() => undefined);
    }
    await fixture?.stop();
  }, 60_000);

  it('a card created in the cards database appears in legacy, search_vector computed, with no echo', async () => {
    const [author] = await cards(`SELECT id FROM authors ORDER BY id LIMIT 1`);
    const forwardEvents = await eventsHandled('cards');
    const forwardEchoes = await echoesSkipped('cards');
    // What cards-service does for POST /cards: the card and its tag in one transaction.
    const [created] = await cards(
      `WITH card AS (
         INSERT INTO cards (author_id, title, body)
         VALUES ($1, 'Lighthouse keepers', 'A story about quokkas on Rottnest') RETURNING id),
       tag AS (INSERT INTO tags (name) VALUES ('islands') RETURNING id),
       link AS (INSERT INTO card_tags (card_id, tag_id) SELECT card.id, tag.id FROM card, tag)
       SELECT card.id::text AS id FROM card`,
      [author?.id],
    );
    const id = created?.id as string;
    const [{ xmin }] = await cards(`SELECT xmin::text AS xmin FROM cards WHERE id = $1`, [id]);

    await eventually(
      async () => (await legacy(`SELECT 1 FROM card_tags WHERE card_id = $1`, [id])).length === 1,
    );
    expect(
      await legacy(
        `SELECT title, hidden_reason,
                search_vector @@ to_tsquery('english', 'quokka & lighthouse') AS found
           FROM cards WHERE id = $1`,
        [id],
      ),
    ).toEqual([{ title: 'Lighthouse keepers', hidden_reason: null, found: true }]);

    // Not sent back: the cards row is the one cards-service wrote, and `cards` only handled the
    // barrier while it skipped what cards-reverse applied to legacy.
    await forwardBarrier();
    expect(await cards(`SELECT xmin::text AS xmin FROM cards WHERE id = $1`, [id])).toEqual([
      { xmin },
    ]);
    expect((await eventsHandled('cards')) - forwardEvents).toBe(1);
    expect(await echoesSkipped('cards')).toBeGreaterThan(forwardEchoes);
  });

  it("an update from cards-service leaves legacy's own columns (hidden_reason) as they are", async () => {
    const [card] = await legacy(`SELECT id::text AS id FROM cards ORDER BY id LIMIT 1`);
    const id = card?.id as string;
    // The monolith's moderation still writes legacy; `cards` carries the status (not the reason).
    await legacy(`UPDATE cards SET status = 'hidden', hidden_reason = 'spam' WHERE id = $1`, [id]);
    await eventually(
      async () =>
        (await cards(`SELECT 1 FROM cards WHERE id = $1 AND status = 'hidden'`, [id])).length,
    );
    // cards-service, which owns the cards now, edits the title.
    await cards(`UPDATE cards SET title = 'Edited by cards-service' WHERE id = $1`, [id]);
    await eventually(
      async () =>
        (
          await legacy(`SELECT 1 FROM cards WHERE id = $1 AND title = 'Edited by cards-service'`, [
            id,
          ])
        ).length,
    );
    expect(
      await legacy(
        `SELECT status, hidden_reason,
                search_vector @@ to_tsquery('english', 'edited') AS found
           FROM cards WHERE id = $1`,
        [id],
      ),
    ).toEqual([{ status: 'hidden', hidden_reason: 'spam', found: true }]);
  });

  it('verify compares both directions under their mappings', async () => {
    await forwardBarrier();
    const [reverseReport, forwardReport] = [
      await verifyPipeline(reverse, reverseUrls()),
      await verifyPipeline(forward, forwardUrls()),
    ];
    expect(reverseReport.tables.map((t) => t.source)).toEqual([
      'public.cards',
      'public.tags',
      'public.card_tags',
      'public.comments',
      'public.likes',
    ]);
    expect(reverseReport.identical).toBe(true);
    expect(forwardReport.identical).toBe(true);
  });

  it('status names the origin and counts the skipped echo transactions', async () => {
    const status = await eventually(async () => {
      const read = await readPipelineStatus(reverse, reverseUrls());
      return read.phase === 'streaming' && (read.echoTransactionsSkipped ?? 0) > 0 ? read : null;
    });
    if (!status) throw new Error('unreachable: eventually returns a truthy value');
    expect(status).toMatchObject({
      pipeline: 'cards-reverse',
      origin: 'strangler_cards_reverse',
      skipAppliedBy: ['cards'],
      deadLetters: 0,
    });
    expect(formatStatus(status)).toMatch(/^origin +strangler_cards_reverse$/m);
    expect(formatStatus(status)).toMatch(
      /^skips echoes +applied by cards: [1-9]\d* transactions skipped since start$/m,
    );
  });
});
