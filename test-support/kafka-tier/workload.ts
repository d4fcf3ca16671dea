import { createHash } from 'node:crypto';

/**
 * The contract workload of the kafka tier: a small schema and a fixed sequence of SQL
 * transactions whose Debezium change events are recorded in fixtures/*.json. Any capture that
 * claims Debezium compatibility (the CDC engine's own one included) can run the same statements
 * against an empty database and compare its events with the fixtures field by field.
 *
 * - `cards`: uuid primary key, a spread of column types, REPLICA IDENTITY FULL (so updates and
 *   deletes carry a full `before`), and a large out-of-line `body` left unchanged by an update.
 * - `card_tags`: composite primary key (card_id, tag), REPLICA IDENTITY DEFAULT; one update moves
 *   the key (Debezium turns it into delete + tombstone + create).
 * - `comments`: a large `body` stored out of line (TOAST, STORAGE EXTERNAL so it is never
 *   compressed inline) and REPLICA IDENTITY DEFAULT: an update that leaves `body` unchanged gets
 *   Debezium's `__debezium_unavailable_value` placeholder, and deletes carry only the key.
 */

export const CARD_1 = '00000000-0000-4000-8000-000000000001';
export const CARD_2 = '00000000-0000-4000-8000-000000000002';
export const CARD_3 = '00000000-0000-4000-8000-000000000003';

/** Deterministic incompressible-looking text of `length` characters (hex of a hash chain). */
export function largeText(seed: string, length = 8000): string {
  let out = '';
  let block = seed;
  while (out.length < length) {
    block = createHash('sha256').update(block).digest('hex');
    out += block;
  }
  return out.slice(0, length);
}

export const CARD_BODY_1 = largeText('card-1');
export const BODY_1 = largeText('comment-1');
export const BODY_1_EDITED = largeText('comment-1-edited');
export const BODY_2 = largeText('comment-2');

export const TABLES = ['public.cards', 'public.card_tags', 'public.comments'] as const;

export const SCHEMA_SQL = [
  `CREATE TABLE cards (
     id uuid PRIMARY KEY,
     title text NOT NULL,
     votes integer NOT NULL DEFAULT 0,
     archived boolean NOT NULL DEFAULT false,
     price numeric(10,2),
     meta jsonb,
     body text NOT NULL,
     created_at timestamptz NOT NULL
   )`,
  `ALTER TABLE cards ALTER COLUMN body SET STORAGE EXTERNAL`,
  `ALTER TABLE cards REPLICA IDENTITY FULL`,
  `CREATE TABLE card_tags (
     card_id uuid NOT NULL,
     tag text NOT NULL,
     position integer NOT NULL,
     PRIMARY KEY (card_id, tag)
   )`,
  `CREATE TABLE comments (
     id integer PRIMARY KEY,
     card_id uuid NOT NULL,
     body text NOT NULL,
     edited boolean NOT NULL DEFAULT false
   )`,
  `ALTER TABLE comments ALTER COLUMN body SET STORAGE EXTERNAL`,
  `ALTER TABLE comments REPLICA IDENTITY DEFAULT`,
];

export interface WorkloadStep {
  /** What the transaction does, as recorded in the fixtures. */
  label: string;
  /** Statements run in one transaction. */
  sql: Array<[string, unknown[]]>;
}

/** Rows present before the connector starts: they arrive as snapshot reads (op `r`). */
export const SNAPSHOT_STEPS: WorkloadStep[] = [
  {
    label: 'seed: cards 1 and 2, tags a/b on card 1, comment 1 (large body)',
    sql: [
      [
        `INSERT INTO cards (id, title, votes, archived, price, meta, body, created_at) VALUES
           ($1, 'First card', 3, false, 12.50, '{"color":"red"}', $3, '2024-01-02T03:04:05.678Z'),
           ($2, 'Second card', 0, true, NULL, NULL, 'short', '2024-02-03T04:05:06Z')`,
        [CARD_1, CARD_2, CARD_BODY_1],
      ],
      [
        `INSERT INTO card_tags (card_id, tag, position) VALUES ($1, 'a', 1), ($1, 'b', 2)`,
        [CARD_1],
      ],
      [`INSERT INTO comments (id, card_id, body) VALUES (1, $1, $2)`, [CARD_1, BODY_1]],
    ],
  },
];

/** Transactions run while the connector streams (ops c, u, d and tombstones). */
export const STREAMING_STEPS: WorkloadStep[] = [
  {
    label: 'insert card 3 with tag x (one transaction over two tables)',
    sql: [
      [
        `INSERT INTO cards (id, title, votes, price, meta, body, created_at)
           VALUES ($1, 'Third card', 1, 99.99, '{"tags":["x"]}', 'x', '2024-03-04T05:06:07Z')`,
        [CARD_3],
      ],
      [`INSERT INTO card_tags (card_id, tag, position) VALUES ($1, 'x', 1)`, [CARD_3]],
    ],
  },
  {
    label: 'update card 1 (title, votes; its TOASTed body unchanged)',
    sql: [
      [
        `UPDATE cards SET title = 'First card (renamed)', votes = votes + 1 WHERE id = $1`,
        [CARD_1],
      ],
    ],
  },
  {
    label: 'update comment 1 without touching the TOASTed body',
    sql: [[`UPDATE comments SET edited = true WHERE id = 1`, []]],
  },
  {
    label: 'update comment 1 body (new large value)',
    sql: [[`UPDATE comments SET body = $1 WHERE id = 1`, [BODY_1_EDITED]]],
  },
  {
    label: 'insert comment 2 (large body)',
    sql: [[`INSERT INTO comments (id, card_id, body) VALUES (2, $1, $2)`, [CARD_3, BODY_2]]],
  },
  {
    label: "move card 1's tag a to z (primary key change)",
    sql: [[`UPDATE card_tags SET tag = 'z' WHERE card_id = $1 AND tag = 'a'`, [CARD_1]]],
  },
  {
    label: 'delete card 2',
    sql: [[`DELETE FROM cards WHERE id = $1`, [CARD_2]]],
  },
  {
    label: "delete card 1's tag b",
    sql: [[`DELETE FROM card_tags WHERE card_id = $1 AND tag = 'b'`, [CARD_1]]],
  },
  {
    label: 'delete comment 1',
    sql: [[`DELETE FROM comments WHERE id = 1`, []]],
  },
];

/**
 * Messages per table topic for the whole workload with `tombstones.on.delete=true`: snapshot
 * reads, then c/u/d events, each d followed by a tombstone (a key change counts d+tombstone+c).
 */
export const EXPECTED_MESSAGES: Record<(typeof TABLES)[number], number> = {
  'public.cards': 2 + 1 + 1 + 2, // r r | c | u | d tombstone
  'public.card_tags': 2 + 1 + 3 + 2, // r r | c | d tombstone c | d tombstone
  'public.comments': 1 + 1 + 1 + 1 + 2, // r | u | u | c | d tombstone
};

export const EXPECTED_SNAPSHOT_READS: Record<(typeof TABLES)[number], number> = {
  'public.cards': 2,
  'public.card_tags': 2,
  'public.comments': 1,
};

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export async function runSteps(client: Queryable, steps: WorkloadStep[]): Promise<void> {
  for (const step of steps) {
    await client.query('BEGIN');
    try {
      for (const [sql, params] of step.sql) await client.query(sql, params);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }
}

export async function createSchema(client: Queryable): Promise<void> {
  for (const sql of SCHEMA_SQL) await client.query(sql);
}
