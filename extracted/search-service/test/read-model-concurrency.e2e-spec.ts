import pg from 'pg';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../../test-support/database.js';
import { runSearchMigrations } from '../src/database/run-migrations.js';
import { verifyReadModel } from '../src/read-model/verify-read-model.js';

/** How long a session may take to reach its lock wait (or finish) before the test fails. */
const BLOCK_DEADLINE_MS = 15_000;

let sequence = 0;
/** A fresh uuid per call, so each test works on its own author, cards and tags. */
const uuid = (): string => `00000000-0000-4000-8000-${(++sequence).toString(16).padStart(12, '0')}`;

/**
 * Two or more apply sessions writing the raw tables at once, as the sync's Kafka apply (several
 * sessions, `session_replication_role = replica`) and a backfill do. The interleavings are forced
 * with explicit BEGIN/COMMIT across pg clients: a session's statement is started, the test waits
 * until that session is either finished or waiting on a lock (pg_stat_activity), and only then
 * commits the other one. Without the triggers' locks each of these ends with a stale or missing
 * document.
 */
describe('search-db: the read model under concurrent apply sessions', () => {
  let cluster: PostgresCluster;
  let url: string;
  let admin: pg.Client;
  const sessions: pg.Client[] = [];

  beforeAll(async () => {
    cluster = await startTestPostgres('search-concurrency');
    url = await createTestDatabase(cluster, 'search_concurrency');
    await runSearchMigrations(url);
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    for (let i = 0; i < 4; i += 1) {
      const session = new pg.Client({ connectionString: url });
      await session.connect();
      await session.query('SET session_replication_role = replica');
      sessions.push(session);
    }
  }, 60_000);

  afterAll(async () => {
    for (const session of sessions) await session.end();
    await admin?.end();
    await cluster?.stop();
  }, 60_000);

  afterEach(async () => {
    // A failed test must not leave a session inside its transaction.
    for (const session of sessions) await session.query('ROLLBACK').catch(() => undefined);
  });

  const pidOf = async (session: pg.Client): Promise<number> =>
    (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

  /**
   * Starts `sql` on `session` (inside its open transaction) and resolves once the statement has
   * either finished or is waiting for a lock; the statement's own promise is returned for later.
   */
  async function startUntilBlockedOrDone(
    session: pg.Client,
    sql: string,
    values: unknown[],
  ): Promise<{ done: Promise<unknown>; blocked: boolean }> {
    const pid = await pidOf(session);
    let settled = false;
    const done = session.query(sql, values).finally(() => {
      settled = true;
    });
    done.catch(() => undefined); // awaited by the caller; this only avoids an unhandled rejection
    const deadline = Date.now() + BLOCK_DEADLINE_MS;
    for (;;) {
      if (settled) return { done, blocked: false };
      const waiting = await admin.query<{ wait_event_type: string | null }>(
        `SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`,
        [pid],
      );
      if (waiting.rows[0]?.wait_event_type === 'Lock') return { done, blocked: true };
      if (Date.now() > deadline)
        throw new Error(`session ${pid} neither finished nor waited on a lock: ${sql}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function insertAuthor(client: pg.Client, id: string, handle = 'ada'): Promise<void> {
    await client.query(`INSERT INTO authors (id, handle, display_name) VALUES ($1, $2, $2)`, [
      id,
      handle,
    ]);
  }

  const INSERT_CARD = `INSERT INTO cards (id, author_id, title, body, status, created_at, updated_at)
                       VALUES ($1, $2, 'Concurrent card', 'Body', 'published', now(), now())`;

  const documentOf = async (
    cardId: string,
  ): Promise<{ author_handle: string; tags: string[]; like_count: number } | undefined> =>
    (
      await admin.query<{ author_handle: string; tags: string[]; like_count: number }>(
        `SELECT author_handle, tags, like_count FROM search_documents WHERE card_id = $1`,
        [cardId],
      )
    ).rows[0];

  it('counts every like inserted on one card by several sessions at once', async () => {
    const author = uuid();
    const card = uuid();
    await insertAuthor(admin, author);
    await admin.query(INSERT_CARD, [card, author]);
    for (const session of sessions) await session.query('BEGIN');
    const insertLike = `INSERT INTO likes (user_id, card_id) VALUES ($1, $2)`;
    // The first session's like is in; the others start theirs and wait behind it.
    await sessions[0].query(insertLike, [uuid(), card]);
    const pending = new Map<number, Promise<unknown>>();
    for (let i = 1; i < sessions.length; i += 1)
      pending.set(i, (await startUntilBlockedOrDone(sessions[i], insertLike, [uuid(), card])).done);
    await sessions[0].query('COMMIT');
    // Commit each waiting session as soon as its statement is through, whichever that is.
    while (pending.size > 0) {
      const next = await Promise.race(
        [...pending].map(async ([index, done]) => {
          await done;
          return index;
        }),
      );
      pending.delete(next);
      await sessions[next].query('COMMIT');
    }
    expect((await documentOf(card))?.like_count).toBe(sessions.length);
    expect(await verifyReadModel(url)).toMatchObject({ identical: true });
  });

  it.each([
    ['the card', 'the author'],
    ['the author', 'the card'],
  ])('builds the document when %s and %s arrive in two concurrent transactions', async (first) => {
    const author = uuid();
    const card = uuid();
    const [cardSession, authorSession] = sessions;
    await cardSession.query('BEGIN');
    await authorSession.query('BEGIN');
    const insertCard = { session: cardSession, sql: INSERT_CARD, values: [card, author] };
    const insertAuthorRow = {
      session: authorSession,
      sql: `INSERT INTO authors (id, handle, display_name) VALUES ($1, 'grace', 'Grace')`,
      values: [author],
    };
    const [earlier, later] =
      first === 'the card' ? [insertCard, insertAuthorRow] : [insertAuthorRow, insertCard];
    await earlier.session.query(earlier.sql, earlier.values);
    const { done } = await startUntilBlockedOrDone(later.session, later.sql, later.values);
    await earlier.session.query('COMMIT');
    await done;
    await later.session.query('COMMIT');
    expect(await documentOf(card)).toMatchObject({ author_handle: 'grace', like_count: 0 });
    expect(await verifyReadModel(url)).toMatchObject({ identical: true });
  });

  it('lets two sessions add cards of one author without waiting for each other', async () => {
    const author = uuid();
    const [cardA, cardB] = [uuid(), uuid()];
    await insertAuthor(admin, author, 'shared');
    const [first, second] = sessions;
    await first.query('BEGIN');
    await second.query('BEGIN');
    await first.query(INSERT_CARD, [cardA, author]);
    // The author is locked in shared mode by both: only a write of the author itself waits.
    const { done, blocked } = await startUntilBlockedOrDone(second, INSERT_CARD, [cardB, author]);
    expect(blocked).toBe(false);
    await done;
    await second.query('COMMIT');
    await first.query('COMMIT');
    expect(await documentOf(cardA)).toMatchObject({ author_handle: 'shared' });
    expect(await documentOf(cardB)).toMatchObject({ author_handle: 'shared' });
  });

  it('keeps both an author rename and a new like on one of their cards', async () => {
    const author = uuid();
    const card = uuid();
    await insertAuthor(admin, author, 'before');
    await admin.query(INSERT_CARD, [card, author]);
    const [renaming, liking] = sessions;
    await renaming.query('BEGIN');
    await liking.query('BEGIN');
    await renaming.query(`UPDATE authors SET handle = 'after' WHERE id = $1`, [author]);
    const { done } = await startUntilBlockedOrDone(
      liking,
      `INSERT INTO likes (user_id, card_id) VALUES ($1, $2)`,
      [uuid(), card],
    );
    await renaming.query('COMMIT');
    await done;
    await liking.query('COMMIT');
    expect(await documentOf(card)).toMatchObject({ author_handle: 'after', like_count: 1 });
  });

  it('keeps a tag rename on a card whose tag link arrives concurrently', async () => {
    const author = uuid();
    const card = uuid();
    const tag = uuid();
    await insertAuthor(admin, author);
    await admin.query(INSERT_CARD, [card, author]);
    await admin.query(`INSERT INTO tags (id, name) VALUES ($1, 'old')`, [tag]);
    const [renaming, linking] = sessions;
    await renaming.query('BEGIN');
    await linking.query('BEGIN');
    await linking.query(`INSERT INTO card_tags (card_id, tag_id) VALUES ($1, $2)`, [card, tag]);
    const { done } = await startUntilBlockedOrDone(
      renaming,
      `UPDATE tags SET name = 'new' WHERE id = $1`,
      [tag],
    );
    await linking.query('COMMIT');
    await done;
    await renaming.query('COMMIT');
    expect(await documentOf(card)).toMatchObject({ tags: ['new'] });
  });

  it('locks the whole read model for a statement touching more than 1000 cards', async () => {
    const author = uuid();
    await insertAuthor(admin, author, 'bulk');
    const [bulk, other] = sessions;
    await bulk.query('BEGIN');
    const inserted = await bulk.query(
      `INSERT INTO cards (id, author_id, title, body, status, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'Bulk ' || n, 'Body', 'published', now(), now()
         FROM generate_series(1, 1001) AS n`,
      [author],
    );
    expect(inserted.rowCount).toBe(1001);
    // Another session's change to an unrelated card waits for the bulk statement's commit.
    const lone = uuid();
    await other.query('BEGIN');
    const { done, blocked } = await startUntilBlockedOrDone(other, INSERT_CARD, [lone, author]);
    expect(blocked).toBe(true);
    await bulk.query('COMMIT');
    await done;
    await other.query('COMMIT');
    const count = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM search_documents WHERE author_handle = 'bulk'`,
    );
    expect(count.rows[0].n).toBe(1002);
    expect(await verifyReadModel(url)).toMatchObject({ identical: true });
  });
});
