import type pg from 'pg';

/**
 * The legacy tables the copy reads, written from the contract document's column list (the
 * monolith's own migrations are not imported: the copy must work from the documented schema).
 */
export async function createLegacyCardsSchema(db: pg.Pool): Promise<void> {
  await db.query(`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      handle varchar(40) NOT NULL UNIQUE,
      display_name varchar(100) NOT NULL,
      email varchar(254) NOT NULL UNIQUE,
      role varchar(16) NOT NULL DEFAULT 'member',
      api_token_issued_at timestamptz,
      banned_at timestamptz,
      ban_reason text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE cards (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      author_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      title varchar(200) NOT NULL,
      body text NOT NULL,
      status varchar(16) NOT NULL DEFAULT 'published',
      hidden_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      search_vector tsvector
    );
    CREATE TABLE tags (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name varchar(40) NOT NULL UNIQUE);
    CREATE TABLE card_tags (
      card_id uuid NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
      tag_id uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
      PRIMARY KEY (card_id, tag_id)
    );
    CREATE TABLE likes (
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      card_id uuid NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, card_id)
    );
    CREATE TABLE comments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      card_id uuid NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
      author_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE follows (
      follower_id uuid NOT NULL REFERENCES users (id),
      followee_id uuid NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (follower_id, followee_id)
    );
  `);
}

export interface LegacySeedSize {
  users: number;
  cards: number;
  tags: number;
  /** Each card gets this many tags, likes and comments (fewer when there are fewer users/tags). */
  perCard: number;
}

/**
 * Fills the legacy tables set-wise in SQL (fast at thousands of rows). Every 10th card is
 * hidden and every 7th user banned; timestamps carry microseconds on purpose.
 */
export async function seedLegacyCards(db: pg.Pool, size: LegacySeedSize): Promise<void> {
  await db.query(
    `INSERT INTO users (handle, display_name, email, banned_at, created_at)
     SELECT 'user' || n, 'User ' || n, 'user' || n || '@example.com',
            CASE WHEN n % 7 = 0 THEN timestamptz '2026-01-01 00:00:00.123456+00' END,
            timestamptz '2025-01-01 00:00:00.000001+00' + n * interval '1 second'
       FROM generate_series(1, $1) AS n`,
    [size.users],
  );
  await db.query(
    `WITH u AS (SELECT id, row_number() OVER (ORDER BY handle) AS rn FROM users)
     INSERT INTO cards (author_id, title, body, status, hidden_reason, created_at, updated_at)
     SELECT u.id, 'Card ' || n, 'Body of card ' || n,
            CASE WHEN n % 10 = 0 THEN 'hidden' ELSE 'published' END,
            CASE WHEN n % 10 = 0 THEN 'spam' END,
            timestamptz '2026-01-01 00:00:00.000001+00' + n * interval '1.000123 second',
            timestamptz '2026-02-01 00:00:00.000001+00' + n * interval '1.000321 second'
       FROM generate_series(1, $1) AS n
       JOIN u ON u.rn = 1 + n % $2`,
    [size.cards, size.users],
  );
  await db.query(`INSERT INTO tags (name) SELECT 'tag' || n FROM generate_series(1, $1) AS n`, [
    size.tags,
  ]);
  await db.query(
    `WITH c AS (SELECT id, row_number() OVER (ORDER BY created_at) AS rn FROM cards),
          t AS (SELECT id, row_number() OVER (ORDER BY name) AS rn FROM tags)
     INSERT INTO card_tags (card_id, tag_id)
     SELECT DISTINCT c.id, t.id FROM c CROSS JOIN generate_series(0, $1 - 1) AS k
       JOIN t ON t.rn = 1 + (c.rn + k) % $2`,
    [size.perCard, size.tags],
  );
  await db.query(
    `WITH c AS (SELECT id, row_number() OVER (ORDER BY created_at) AS rn FROM cards),
          u AS (SELECT id, row_number() OVER (ORDER BY handle) AS rn FROM users)
     INSERT INTO likes (user_id, card_id, created_at)
     SELECT DISTINCT ON (u.id, c.id) u.id, c.id, timestamptz '2026-03-01 00:00:00.5+00' + k * interval '1 ms'
       FROM c CROSS JOIN generate_series(0, $1 - 1) AS k
       JOIN u ON u.rn = 1 + (c.rn + k) % $2`,
    [size.perCard, size.users],
  );
  await db.query(
    `WITH c AS (SELECT id, row_number() OVER (ORDER BY created_at) AS rn FROM cards),
          u AS (SELECT id, row_number() OVER (ORDER BY handle) AS rn FROM users)
     INSERT INTO comments (card_id, author_id, body, created_at)
     SELECT c.id, u.id, 'Comment ' || k || ' on card ' || c.rn,
            timestamptz '2026-04-01 00:00:00.000007+00' + (c.rn * 10 + k) * interval '1.5 ms'
       FROM c CROSS JOIN generate_series(0, $1 - 1) AS k
       JOIN u ON u.rn = 1 + (c.rn * 3 + k) % $2`,
    [size.perCard, size.users],
  );
}
