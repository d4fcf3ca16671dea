import { jest } from '@jest/globals';
import { startPipeline, type RunningPipeline } from '../src/pipeline/start-pipeline.js';
import { SyncFixture, eventually } from './support/sync-fixture.js';

jest.setTimeout(60_000);

describe('sync pipeline: mapping, dead letters, restart (real PostgreSQL)', () => {
  let fixture: SyncFixture;
  const running: RunningPipeline[] = [];

  beforeAll(async () => {
    fixture = await SyncFixture.start('sync-rules');
  }, 60_000);
  afterEach(async () => {
    for (const pipeline of running.splice(0)) await pipeline.stop();
  });
  afterAll(async () => {
    await fixture?.stop();
  }, 60_000);

  async function start(...args: Parameters<typeof startPipeline>) {
    const pipeline = await startPipeline(...args);
    running.push(pipeline);
    return pipeline;
  }

  it('renames, drops, derives and filters columns; a row leaving the filter is deleted', async () => {
    const urls = await fixture.databases(
      `CREATE TYPE card_status AS ENUM ('published', 'hidden');
       CREATE TABLE cards (id uuid PRIMARY KEY, author_id int NOT NULL, title text NOT NULL,
                           status card_status NOT NULL, search_vector tsvector, price numeric(10,2));`,
      `CREATE TABLE articles (id uuid PRIMARY KEY, writer_id int NOT NULL, title text NOT NULL,
                              status text NOT NULL, price numeric(10,2), title_upper text, price_cents int);`,
    );
    const definition = fixture.definition('mapping', urls, {
      tables: {
        cards: {
          target: 'articles',
          drop: ['search_vector'],
          rename: { author_id: 'writer_id' },
          derived: { title_upper: 'upper(title)', price_cents: '(price * 100)::int' },
          filter: { status: 'published' },
        },
      },
    });
    await start(definition, urls);
    const source = await fixture.client(urls.sourceUrl);
    const a = '00000000-0000-4000-8000-00000000000a';
    const b = '00000000-0000-4000-8000-00000000000b';
    await source.query(
      `INSERT INTO cards VALUES ($1, 7, 'hello', 'published', 'x', 1.25), ($2, 8, 'secret', 'hidden', NULL, NULL)`,
      [a, b],
    );
    const target = () => fixture.rows(urls.targetUrl, `SELECT * FROM articles ORDER BY id`);
    await eventually(async () => (await target()).length === 1);
    expect(await target()).toEqual([
      {
        id: a,
        writer_id: 7,
        title: 'hello',
        status: 'published',
        price: '1.25',
        title_upper: 'HELLO',
        price_cents: 125,
      },
    ]);
    await source.query(`UPDATE cards SET status = 'published' WHERE id = $1`, [b]);
    await source.query(`UPDATE cards SET status = 'hidden' WHERE id = $1`, [a]);
    await eventually(async () => (await target()).map((r) => r.id).join() === b);
  });

  it('dead-letters a poison event and goes on (policy continue)', async () => {
    const urls = await fixture.databases(
      `CREATE TABLE cards (id int PRIMARY KEY, title text NOT NULL);`,
      `CREATE TABLE cards (id int PRIMARY KEY, title text NOT NULL CHECK (length(title) < 10));`,
    );
    const definition = fixture.definition('poison', urls, {
      tables: { cards: null },
      deadLetters: 'continue',
    });
    await start(definition, urls);
    const source = await fixture.client(urls.sourceUrl);
    await source.query('BEGIN');
    await source.query(
      `INSERT INTO cards VALUES (1, 'ok'), (2, 'far too long for the target'), (3, 'fine')`,
    );
    await source.query('COMMIT');
    await eventually(
      async () => (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM cards')).length === 2,
    );
    const letters = await fixture.rows(
      urls.targetUrl,
      `SELECT pipeline, source_table, target_table, event, error FROM _strangler_dead_letters`,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      pipeline: 'poison',
      source_table: 'public.cards',
      target_table: 'public.cards',
    });
    expect(letters[0].event).toMatchObject({
      op: 'c',
      after: { id: 2 },
      source: { table: 'cards', snapshot: 'false' },
    });
    expect(letters[0].error).toMatch(/check constraint/);
    expect(
      (await fixture.rows(urls.targetUrl, 'SELECT id FROM cards ORDER BY id')).map((r) => r.id),
    ).toEqual([1, 3]);
  });

  it('halts before the poison transaction with policy stop, and resumes once it is fixed', async () => {
    const urls = await fixture.databases(
      `CREATE TABLE cards (id int PRIMARY KEY, title text NOT NULL);`,
      `CREATE TABLE cards (id int PRIMARY KEY, title text NOT NULL CHECK (length(title) < 10));`,
    );
    const definition = fixture.definition('halt', urls, {
      tables: { cards: null },
      deadLetters: 'stop',
    });
    const pipeline = await start(definition, urls);
    const source = await fixture.client(urls.sourceUrl);
    await source.query(`INSERT INTO cards VALUES (1, 'ok')`);
    await source.query(
      `INSERT INTO cards VALUES (2, 'ok too'), (3, 'far too long for the target')`,
    );
    await expect(pipeline.done).rejects.toThrow(/cannot be applied.*"stop"/s);
    expect((await pipeline.status()).phase).toBe('failed');
    expect((await fixture.rows(urls.targetUrl, 'SELECT id FROM cards')).map((r) => r.id)).toEqual([
      1,
    ]);
    expect(
      await fixture.rows(urls.targetUrl, 'SELECT error FROM _strangler_dead_letters'),
    ).toHaveLength(1);

    await fixture.exec(urls.targetUrl, 'ALTER TABLE cards DROP CONSTRAINT cards_title_check');
    await start(definition, urls);
    await eventually(
      async () => (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM cards')).length === 3,
    );
  });

  it('resumes after stop() without loss or duplicates', async () => {
    const urls = await fixture.databases(
      `CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);`,
      `CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);
       CREATE TABLE applied (id int, n int);
       CREATE FUNCTION log_applied() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN INSERT INTO applied VALUES (NEW.id, NEW.n); RETURN NEW; END $$;
       CREATE TRIGGER log_applied AFTER INSERT OR UPDATE ON counters FOR EACH ROW EXECUTE FUNCTION log_applied();`,
    );
    const definition = fixture.definition('restart', urls, { tables: { counters: null } });
    const source = await fixture.client(urls.sourceUrl);
    let pipeline = await start(definition, urls);
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 20; i += 1)
        await source.query(
          `INSERT INTO counters VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET n = counters.n + 1`,
          [i],
        );
      await pipeline.stop();
      running.splice(running.indexOf(pipeline), 1);
      for (let i = 20; i < 25; i += 1)
        await source.query(`INSERT INTO counters VALUES ($1, 1)`, [i + round * 5]);
      pipeline = await start(definition, urls);
    }
    await eventually(
      async () => (await fixture.rows(urls.targetUrl, 'SELECT 1 FROM counters')).length === 35,
    );
    const [source_, target_] = await Promise.all([
      fixture.rows(urls.sourceUrl, 'SELECT id, n FROM counters ORDER BY id'),
      fixture.rows(urls.targetUrl, 'SELECT id, n FROM counters ORDER BY id'),
    ]);
    expect(target_).toEqual(source_);
    // Each source change reached the target exactly once: 60 upserts + 15 inserts.
    expect(await fixture.rows(urls.targetUrl, 'SELECT count(*)::int AS n FROM applied')).toEqual([
      { n: 75 },
    ]);
  });
});
