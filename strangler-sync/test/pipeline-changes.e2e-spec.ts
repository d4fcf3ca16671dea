import { jest } from '@jest/globals';
import { startPipeline, type RunningPipeline } from '../src/pipeline/start-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

const SOURCE = `
  CREATE TABLE cards (id int PRIMARY KEY, title text NOT NULL, body text, status text NOT NULL DEFAULT 'published',
                      created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE card_tags (card_id int, tag text, PRIMARY KEY (card_id, tag));
`;
const TARGET = `
  CREATE TABLE cards (id int PRIMARY KEY, title text NOT NULL, body text, status text NOT NULL,
                      created_at timestamptz NOT NULL);
  CREATE TABLE card_tags (card_id int, tag text, PRIMARY KEY (card_id, tag));
`;

jest.setTimeout(60_000);

describe('sync pipeline: streaming changes (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  let running: RunningPipeline | undefined;

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-changes');
  }, 60_000);
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  }, 30_000);
  afterAll(async () => {
    await fixture?.stop();
  }, 60_000);

  async function setUp(name: string) {
    const urls = await fixture.databases(SOURCE, TARGET);
    const definition = fixture.definition(name, urls, { tables: { cards: null, card_tags: null } });
    running = await startPipeline(definition, urls);
    const source = await fixture.client(urls.sourceUrl);
    const target = (sql: string) => fixture.rows(urls.targetUrl, sql);
    return { urls, definition, source, target };
  }

  it('applies inserts, updates and deletes with exact values', async () => {
    const { source, target } = await setUp('crud');
    await source.query(
      `INSERT INTO cards (id, title, body, created_at) VALUES (1, 'one', 'b1', '2026-01-02 03:04:05.123456+00'),
                                                             (2, 'two', NULL, '2026-01-02 03:04:05+00')`,
    );
    await source.query(`UPDATE cards SET title = 'uno' WHERE id = 1`);
    await source.query(`DELETE FROM cards WHERE id = 2`);
    await source.query(`INSERT INTO card_tags VALUES (1, 'a'), (1, 'b')`);
    await source.query(`DELETE FROM card_tags WHERE card_id = 1 AND tag = 'a'`);
    await eventually(async () => (await target(`SELECT 1 FROM card_tags`)).length === 1);
    expect(await target(`SELECT id, title, body, created_at::text FROM cards ORDER BY id`)).toEqual(
      [{ id: 1, title: 'uno', body: 'b1', created_at: '2026-01-02 03:04:05.123456+00' }],
    );
    expect(await target(`SELECT * FROM card_tags`)).toEqual([{ card_id: 1, tag: 'b' }]);
  });

  it('applies a multi-row transaction atomically and a rolled-back one not at all', async () => {
    const { source, target } = await setUp('atomic');
    await source.query('BEGIN');
    await source.query(
      `INSERT INTO cards (id, title) SELECT g, 't' || g FROM generate_series(1, 500) g`,
    );
    await source.query('ROLLBACK');
    await source.query('BEGIN');
    await source.query(
      `INSERT INTO cards (id, title) SELECT g, 'x' || g FROM generate_series(1, 300) g`,
    );
    await source.query(`UPDATE cards SET title = 'changed' WHERE id <= 10`);
    await source.query('COMMIT');
    await source.query(`INSERT INTO cards (id, title) VALUES (1000, 'marker')`);
    // Every observation is all or nothing of the 300-row transaction.
    const seen = new Set<number>();
    await eventually(async () => {
      const [row] = await target(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE title = 'changed')::int AS c FROM cards WHERE id < 1000`,
      );
      seen.add(row.n as number);
      if (row.n === 300) expect(row.c).toBe(10);
      return (await target(`SELECT 1 FROM cards WHERE id = 1000`)).length === 1;
    });
    expect([...seen].every((n) => n === 0 || n === 300)).toBe(true);
    expect(await target(`SELECT count(*)::int AS n FROM cards`)).toEqual([{ n: 301 }]);
  });

  it('leaves an unchanged TOAST column as it is when another column is updated', async () => {
    const { source, target } = await setUp('toast');
    const big = Array.from({ length: 4000 }, (_, i) => `word${(i * 7919) % 10007}`).join(' ');
    expect(big.length).toBeGreaterThan(8192);
    await source.query(`ALTER TABLE cards ALTER COLUMN body SET STORAGE EXTERNAL`);
    await source.query(`INSERT INTO cards (id, title, body) VALUES (1, 'big', $1)`, [big]);
    await source.query(`UPDATE cards SET title = 'renamed' WHERE id = 1`);
    await source.query(`INSERT INTO cards (id, title) VALUES (2, 'marker')`);
    await eventually(async () => (await target(`SELECT 1 FROM cards WHERE id = 2`)).length === 1);
    const [row] = await target(`SELECT title, body FROM cards WHERE id = 1`);
    expect(row.title).toBe('renamed');
    expect(row.body).toBe(big);
  });
});
