import { jest } from '@jest/globals';
import {
  startPipeline,
  type RunningPipeline,
  type PipelineProgress,
} from '../src/pipeline/start-pipeline.js';
import type { SnapshotProgress } from '../src/snapshot/initial-load.js';
import { formatVerifyReport, verifyPipeline } from '../src/verify/verify-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

jest.setTimeout(60_000);

const SOURCE = `
  CREATE TABLE authors (id int PRIMARY KEY, handle text NOT NULL);
  CREATE TABLE cards (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text NOT NULL,
                      views bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
  INSERT INTO authors SELECT g, 'author' || g FROM generate_series(1, 50) g;
  INSERT INTO cards (id, author_id, title) SELECT g, 1 + g % 50, 'card ' || g FROM generate_series(1, 4000) g;
  CREATE TABLE marker (id int PRIMARY KEY);
`;
const TARGET = `
  CREATE TABLE authors (id int PRIMARY KEY, handle text NOT NULL);
  CREATE TABLE cards (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
                      title text NOT NULL, views bigint NOT NULL, updated_at timestamptz NOT NULL);
  CREATE TABLE marker (id int PRIMARY KEY);
`;

describe('sync pipeline: initial load and verify (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  const running: RunningPipeline[] = [];

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-snapshot');
  }, 60_000);
  afterEach(async () => {
    for (const pipeline of running.splice(0)) await pipeline.stop();
  });
  afterAll(async () => {
    await fixture?.stop();
  }, 60_000);

  it('copies existing rows and concurrent writes exactly once (no gap, no overlap)', async () => {
    const urls = await fixture.databases(SOURCE, TARGET);
    const definition = fixture.definition('initial', urls, {
      tables: { authors: null, cards: null, marker: null },
      snapshot: { chunkSize: 250 },
    });
    const writer = await fixture.client(urls.sourceUrl);
    let writing = true;
    let writes = 0;
    const workload = (async () => {
      let next = 10_000;
      while (writing) {
        const id = 1 + Math.floor(Math.random() * 4000);
        await writer.query('BEGIN');
        await writer.query(
          `UPDATE cards SET views = views + 1, updated_at = clock_timestamp() WHERE id = $1`,
          [id],
        );
        await writer.query(`INSERT INTO cards (id, author_id, title) VALUES ($1, 1, 'new')`, [
          next++,
        ]);
        await writer.query(`DELETE FROM cards WHERE id = $1`, [1 + ((id * 7) % 4000)]);
        await writer.query('COMMIT');
        writes += 1;
      }
    })();
    const progress: PipelineProgress[] = [];
    await new Promise((resolve) => setTimeout(resolve, 100));
    running.push(await startPipeline(definition, { ...urls, onProgress: (p) => progress.push(p) }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing = false;
    await workload;
    expect(writes).toBeGreaterThan(10);
    await writer.query('INSERT INTO marker VALUES (1)');
    await eventually(
      async () => (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM marker')).length === 1,
    );

    const report = await verifyPipeline(definition, { ...urls, chunkSize: 500 });
    expect(formatVerifyReport(report)).toContain('IDENTICAL');
    expect(report.tables.find((t) => t.source === 'public.cards')?.sourceRows).toBeGreaterThan(
      3000,
    );
    const cardProgress = progress.filter(
      (p): p is SnapshotProgress => p.phase === 'snapshot' && p.table === 'public.cards',
    );
    expect(cardProgress.length).toBeGreaterThanOrEqual(16);
    expect(cardProgress.at(-1)).toMatchObject({
      done: true,
      rowsTotal: cardProgress.at(-1)!.rowsCopied,
    });
  });

  it('verify names the keys and columns that differ', async () => {
    const urls = await fixture.databases(SOURCE, TARGET);
    const definition = fixture.definition('differ', urls, {
      tables: { authors: null, cards: null },
    });
    const pipeline = await startPipeline(definition, urls);
    await pipeline.stop();
    expect((await verifyPipeline(definition, urls)).identical).toBe(true);
    await fixture.exec(
      urls.targetUrl,
      `UPDATE cards SET title = 'tampered' WHERE id = 1234;
       DELETE FROM cards WHERE id = 3999;
       INSERT INTO cards VALUES (99999, 1, 'ghost', 0, now());`,
    );
    const report = await verifyPipeline(definition, { ...urls, chunkSize: 300 });
    expect(report.identical).toBe(false);
    const cards = report.tables.find((t) => t.source === 'public.cards')!;
    expect(cards.differingChunks).toBe(2);
    expect(cards.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { id: '1234' }, kind: 'different', columns: ['title'] }),
        expect.objectContaining({ key: { id: '3999' }, kind: 'missing in target' }),
        expect.objectContaining({ key: { id: '99999' }, kind: 'not in source' }),
      ]),
    );
    const text = formatVerifyReport(report);
    expect(text).toContain('[id=1234] different: title: source "card 1234" target "tampered"');
  });
});
