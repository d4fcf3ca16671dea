import pg from 'pg';

/**
 * One table copied from the legacy database: the legacy query (columns in target order) and the
 * target columns with their PostgreSQL types.
 */
interface TableCopy {
  target: string;
  source: string;
  columns: readonly (readonly [name: string, type: string])[];
}

/** Parents before children, so the target's foreign keys hold at every insert. */
const TABLES: readonly TableCopy[] = [
  {
    target: 'authors',
    source: 'SELECT id, handle, display_name, banned_at FROM users',
    columns: [
      ['id', 'uuid'],
      ['handle', 'text'],
      ['display_name', 'text'],
      ['banned_at', 'timestamptz'],
    ],
  },
  {
    target: 'cards',
    source: 'SELECT id, author_id, title, body, status, created_at, updated_at FROM cards',
    columns: [
      ['id', 'uuid'],
      ['author_id', 'uuid'],
      ['title', 'text'],
      ['body', 'text'],
      ['status', 'text'],
      ['created_at', 'timestamptz'],
      ['updated_at', 'timestamptz'],
    ],
  },
  {
    target: 'tags',
    source: 'SELECT id, name FROM tags',
    columns: [
      ['id', 'uuid'],
      ['name', 'text'],
    ],
  },
  {
    target: 'card_tags',
    source: 'SELECT card_id, tag_id FROM card_tags',
    columns: [
      ['card_id', 'uuid'],
      ['tag_id', 'uuid'],
    ],
  },
  {
    target: 'comments',
    source: 'SELECT id, card_id, author_id, body, created_at FROM comments',
    columns: [
      ['id', 'uuid'],
      ['card_id', 'uuid'],
      ['author_id', 'uuid'],
      ['body', 'text'],
      ['created_at', 'timestamptz'],
    ],
  },
  {
    target: 'likes',
    source: 'SELECT user_id, card_id, created_at FROM likes',
    columns: [
      ['user_id', 'uuid'],
      ['card_id', 'uuid'],
      ['created_at', 'timestamptz'],
    ],
  },
];

/** Rows per INSERT: each chunk is one statement with one array parameter per column. */
const CHUNK_ROWS = 5_000;

/** Every value arrives as PostgreSQL's text form, so timestamps keep their microseconds. */
const asText = { getTypeParser: () => (value: string) => value };

/**
 * One-off copy of the cards slice from the legacy database into the cards database (temporary:
 * the change data capture pipeline replaces it). Reads one consistent legacy snapshot, then, in
 * one target transaction, empties the cards tables and refills them with the same ids and
 * timestamps, so running it again gives the same result. Returns the rows copied per table.
 */
export async function copyCardsFromLegacy(
  legacyUrl: string,
  cardsUrl: string,
): Promise<{ [table: string]: number }> {
  const legacy = new pg.Client({ connectionString: legacyUrl, application_name: 'cards-copy' });
  const cards = new pg.Client({ connectionString: cardsUrl, application_name: 'cards-copy' });
  // A connection the server drops surfaces as the failing query's rejection, not as an
  // unhandled 'error' event that would take the process down.
  for (const client of [legacy, cards]) client.on('error', () => undefined);
  await legacy.connect();
  try {
    await cards.connect();
    try {
      await legacy.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await cards.query('BEGIN');
      try {
        const copied = await copyTables(legacy, cards);
        await cards.query('COMMIT');
        return copied;
      } catch (error) {
        await cards.query('ROLLBACK');
        throw error;
      } finally {
        await legacy.query('ROLLBACK');
      }
    } finally {
      await cards.end();
    }
  } finally {
    await legacy.end();
  }
}

async function copyTables(
  legacy: pg.Client,
  cards: pg.Client,
): Promise<{ [table: string]: number }> {
  const targets = TABLES.map((table) => table.target).join(', ');
  await cards.query(`TRUNCATE ${targets}`);
  const copied: { [table: string]: number } = {};
  for (const table of TABLES) {
    const { rows } = await legacy.query<string[]>({
      text: table.source,
      rowMode: 'array',
      types: asText,
    });
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      await insertChunk(cards, table, rows.slice(start, start + CHUNK_ROWS));
    }
    copied[table.target] = rows.length;
  }
  return copied;
}

/** `INSERT ... SELECT * FROM unnest($1::uuid[], $2::text[], ...)`: one column array per parameter. */
async function insertChunk(cards: pg.Client, table: TableCopy, rows: string[][]): Promise<void> {
  const names = table.columns.map(([name]) => `"${name}"`).join(', ');
  const arrays = table.columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ');
  const values = table.columns.map((_column, index) => rows.map((row) => row[index] ?? null));
  await cards.query(
    `INSERT INTO "${table.target}" (${names}) SELECT * FROM unnest(${arrays})`,
    values,
  );
}
