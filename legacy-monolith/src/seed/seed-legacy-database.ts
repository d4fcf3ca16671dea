import pg from 'pg';
import { buildSeedData, SeedData } from './build-seed-data.js';

export interface SeedLegacyOptions {
  /** Same number, same rows (ids, text; timestamps relative to `now`). */
  seed: number;
  /** Default 300 (the first two are admins). */
  users?: number;
  /** Default 3000. */
  cards?: number;
  /** The rows are dated in the two years before it. Default: the time of seeding. */
  now?: Date;
}

export interface SeedSummary {
  /** True when the database already had users and nothing was written. */
  skipped: boolean;
  seed: number;
  users: number;
  admins: number;
  bannedUsers: number;
  cards: number;
  hiddenCards: number;
  tags: number;
  likes: number;
  comments: number;
  follows: number;
  moderationActions: number;
  /** An admin to mint a token for (`mintAuthToken`). */
  adminUserId: string | null;
  /** A member who is not banned. */
  memberUserId: string | null;
}

const ROWS_PER_INSERT = 5000;

/**
 * Fills a migrated, empty legacy database with a realistic, deterministic dataset. Safe to call
 * on every start: when the database already has users it writes nothing and returns the
 * existing counts with `skipped: true`. All rows go in one transaction, as multi-row inserts.
 */
export async function seedLegacyDatabase(
  url: string,
  options: SeedLegacyOptions,
): Promise<SeedSummary> {
  if (!Number.isInteger(options.seed))
    throw new Error(`seed must be an integer, got ${options.seed}`);
  const client = new pg.Client({ connectionString: url, application_name: 'legacy-seed' });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Two seeders racing on one database: the second waits, then sees the users and skips.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('strangler.legacy-seed'))`);
    const existing = await client.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM users',
    );
    if ((existing.rows[0]?.count ?? 0) > 0) {
      await client.query('ROLLBACK');
      return await summarise(client, options.seed, true);
    }
    const data = buildSeedData(
      options.seed,
      {
        users: options.users ?? 300,
        cards: options.cards ?? 3000,
      },
      options.now ?? new Date(),
    );
    await insertSeedData(client, data);
    await client.query('COMMIT');
    return await summarise(client, options.seed, false);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function insertSeedData(client: pg.Client, data: SeedData): Promise<void> {
  await insertRows(client, 'users', data.users, {
    id: 'uuid',
    handle: 'text',
    display_name: 'text',
    email: 'text',
    role: 'text',
    api_token_issued_at: 'timestamptz',
    banned_at: 'timestamptz',
    ban_reason: 'text',
    created_at: 'timestamptz',
  });
  await insertRows(client, 'follows', data.follows, {
    follower_id: 'uuid',
    followee_id: 'uuid',
    created_at: 'timestamptz',
  });
  await insertRows(client, 'tags', data.tags, { id: 'uuid', name: 'text' });
  await insertRows(client, 'cards', data.cards, {
    id: 'uuid',
    author_id: 'uuid',
    title: 'text',
    body: 'text',
    status: 'text',
    hidden_reason: 'text',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
  });
  await insertRows(client, 'card_tags', data.cardTags, { card_id: 'uuid', tag_id: 'uuid' });
  await insertRows(client, 'likes', data.likes, {
    user_id: 'uuid',
    card_id: 'uuid',
    created_at: 'timestamptz',
  });
  await insertRows(client, 'comments', data.comments, {
    id: 'uuid',
    card_id: 'uuid',
    author_id: 'uuid',
    body: 'text',
    created_at: 'timestamptz',
  });
  await insertRows(client, 'moderation_actions', data.moderationActions, {
    id: 'uuid',
    actor_id: 'uuid',
    action: 'text',
    target_type: 'text',
    target_id: 'uuid',
    reason: 'text',
    created_at: 'timestamptz',
  });
}

/**
 * `INSERT ... SELECT * FROM unnest($1::type[], ...)`: one round trip per few thousand rows,
 * one array parameter per column (no 65535-parameter ceiling).
 */
async function insertRows<Row extends object>(
  client: pg.Client,
  table: string,
  rows: Row[],
  columns: Record<keyof Row & string, string>,
): Promise<void> {
  const names = Object.keys(columns) as (keyof Row & string)[];
  const columnList = names.map((name) => `"${name}"`).join(', ');
  const unnest = names.map((name, index) => `$${index + 1}::${columns[name]}[]`).join(', ');
  const sql = `INSERT INTO "${table}" (${columnList}) SELECT * FROM unnest(${unnest})`;
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const chunk = rows.slice(start, start + ROWS_PER_INSERT);
    await client.query(
      sql,
      names.map((name) => chunk.map((row) => row[name])),
    );
  }
}

async function summarise(client: pg.Client, seed: number, skipped: boolean): Promise<SeedSummary> {
  const { rows } = await client.query<Omit<SeedSummary, 'skipped' | 'seed'>>(
    `SELECT (SELECT count(*) FROM users)::int AS "users",
            (SELECT count(*) FROM users WHERE role = 'admin')::int AS "admins",
            (SELECT count(*) FROM users WHERE banned_at IS NOT NULL)::int AS "bannedUsers",
            (SELECT count(*) FROM cards)::int AS "cards",
            (SELECT count(*) FROM cards WHERE status = 'hidden')::int AS "hiddenCards",
            (SELECT count(*) FROM tags)::int AS "tags",
            (SELECT count(*) FROM likes)::int AS "likes",
            (SELECT count(*) FROM comments)::int AS "comments",
            (SELECT count(*) FROM follows)::int AS "follows",
            (SELECT count(*) FROM moderation_actions)::int AS "moderationActions",
            (SELECT id FROM users WHERE role = 'admin' AND banned_at IS NULL
              ORDER BY created_at, id LIMIT 1) AS "adminUserId",
            (SELECT id FROM users WHERE role = 'member' AND banned_at IS NULL
              ORDER BY created_at, id LIMIT 1) AS "memberUserId"`,
  );
  return { skipped, seed, ...rows[0] };
}
