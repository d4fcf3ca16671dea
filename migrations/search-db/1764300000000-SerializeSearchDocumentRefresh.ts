import { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns of a document besides `card_id` (and the generated `search_vector`). */
const DOCUMENT_COLUMNS = [
  'status',
  'title',
  'body',
  'author_id',
  'author_handle',
  'author_display_name',
  'tags',
  'like_count',
  'comment_count',
  'created_at',
  'updated_at',
];

/**
 * A trigger statement that touches more keys of one kind than this locks the whole read model
 * (one exclusive lock) instead of each key: a lock per key would fill PostgreSQL's shared lock
 * table (`max_locks_per_transaction` × connections) on a large backfill chunk.
 */
export const SEARCH_LOCK_ESCALATION = 1000;

type Rows = 'new_rows' | 'old_rows';

/**
 * For each raw table, from a transition table of its changed rows: the parent keys its rows
 * belong to (`authors`, `tags`: locked first, so that a writer of the parent sees, or is seen by,
 * a concurrent writer of the link), and the cards whose documents change (`cards`: queried again
 * once the parents are locked, then locked themselves).
 */
interface Affected {
  authors?: (rows: Rows) => string;
  tags?: (rows: Rows) => string;
  cards: (rows: Rows) => string;
}

const AFFECTED: Record<string, Affected> = {
  cards: {
    authors: (rows) => `SELECT author_id FROM ${rows}`,
    cards: (rows) => `SELECT id FROM ${rows}`,
  },
  card_tags: {
    tags: (rows) => `SELECT tag_id FROM ${rows}`,
    cards: (rows) => `SELECT card_id FROM ${rows}`,
  },
  likes: { cards: (rows) => `SELECT card_id FROM ${rows}` },
  comments: { cards: (rows) => `SELECT card_id FROM ${rows}` },
  authors: {
    authors: (rows) => `SELECT id FROM ${rows}`,
    cards: (rows) => `SELECT c.id FROM cards c WHERE c.author_id IN (SELECT id FROM ${rows})`,
  },
  tags: {
    tags: (rows) => `SELECT id FROM ${rows}`,
    cards: (rows) =>
      `SELECT ct.card_id FROM card_tags ct WHERE ct.tag_id IN (SELECT id FROM ${rows})`,
  },
};

/** plpgsql that appends `select` over the trigger's transition tables to the array `target`. */
function collect(target: string, select: (rows: Rows) => string): string {
  return `
          ${target} := '{}';
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            ${target} := ${target} || ARRAY(${select('new_rows')});
          END IF;
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            ${target} := ${target} || ARRAY(${select('old_rows')});
          END IF;`;
}

/**
 * Makes the read model correct under concurrent writers (the Kafka apply's parallel sessions, a
 * backfill while the pipeline streams). The triggers of the first migration rebuild a document
 * from what the calling session sees under READ COMMITTED, so two sessions could each miss the
 * other's uncommitted rows: two likes on one card gave a like_count without one of them (the
 * second upsert overwrote the first), and a card and its author inserted by two sessions built no
 * document at all.
 *
 * Now every trigger first takes transaction-level advisory locks, held until COMMIT:
 *
 * 1. the parents of its rows: exclusively the author of an author row and the tag of a tag row;
 *    shared, the author of a card (old and new) and the tag of a card_tags row (writers of links
 *    to one parent need not wait for each other, only for a writer of the parent);
 * 2. then, having found the affected cards again with a fresh snapshot, each of those cards,
 *    exclusively.
 *
 * and only then rebuilds the documents. Under READ COMMITTED each statement of a plpgsql function
 * takes a new snapshot, and a lock is released only after its transaction's commit is visible, so
 * of two transactions that share a key the later one recomputes with the other's rows in view.
 * Two transactions that write rows of one card's document always share a key: each locks the
 * card it rebuilds; and a transaction that cannot see the link between a parent and a card (a new
 * card of author A, a new card_tags row for tag T) shares the parent key with the one that made
 * it, so it finds the card once that one commits (or that one sees its parent change).
 *
 * Keys are taken kind by kind (authors, tags, cards), each kind sorted and deduplicated, so two
 * single-statement transactions never deadlock; multi-statement transactions can (as they could
 * already on the documents' row locks): PostgreSQL aborts one with 40P01, which strangler-sync
 * classes as transient.
 * Every trigger also holds a shared lock on the whole read model; TRUNCATE, and a statement
 * touching more than SEARCH_LOCK_ESCALATION keys of a kind, take it exclusively instead.
 *
 * Also: the documents the raw tables imply are one view, `search_documents_expected`, which the
 * refresh uses and `verifyReadModel` (search-service) compares `search_documents` against.
 */
export class SerializeSearchDocumentRefresh1764300000000 implements MigrationInterface {
  name = 'SerializeSearchDocumentRefresh1764300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Legacy's semantics, as before: tags in code-point order, counts over every like and comment.
    await queryRunner.query(`
      CREATE VIEW "search_documents_expected" AS
      SELECT c.id AS card_id, c.status, c.title, c.body,
             a.id AS author_id, a.handle AS author_handle, a.display_name AS author_display_name,
             ARRAY(SELECT t.name FROM card_tags ct JOIN tags t ON t.id = ct.tag_id
                    WHERE ct.card_id = c.id ORDER BY t.name COLLATE "C") AS tags,
             (SELECT count(*) FROM likes l WHERE l.card_id = c.id)::int AS like_count,
             (SELECT count(*) FROM comments m WHERE m.card_id = c.id)::int AS comment_count,
             c.created_at, c.updated_at
        FROM cards c
        JOIN authors a ON a.id = c.author_id`);

    const columns = DOCUMENT_COLUMNS.map((c) => `"${c}"`).join(', ');
    const changed = DOCUMENT_COLUMNS.map((c) => `d."${c}"`).join(', ');
    const excluded = DOCUMENT_COLUMNS.map((c) => `EXCLUDED."${c}"`).join(', ');
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "search_refresh_documents"(card_ids uuid[]) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM search_documents d
         WHERE d.card_id = ANY (card_ids)
           AND NOT EXISTS (SELECT 1 FROM search_documents_expected e WHERE e.card_id = d.card_id);
        INSERT INTO search_documents AS d ("card_id", ${columns})
        SELECT "card_id", ${columns}
          FROM search_documents_expected
         WHERE card_id = ANY (card_ids)
        ON CONFLICT ("card_id") DO UPDATE
           SET ${DOCUMENT_COLUMNS.map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}
         WHERE (${changed}) IS DISTINCT FROM (${excluded});
      END $$`);

    // The lock keys: (hash of 'search_documents:<kind>', hash of the id), the two-integer
    // advisory lock space. A hash collision only makes two writers wait for each other. Shared
    // mode is for the writer of a link to a parent (a card's author, a card_tags row's tag): such
    // writers need not wait for each other, only for a writer of the parent itself.
    await queryRunner.query(`
      CREATE FUNCTION "search_lock_keys"(kind text, ids uuid[], shared boolean) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        kind_key int := hashtext('search_documents:' || kind);
        id_key int;
      BEGIN
        FOR id_key IN
          SELECT DISTINCT hashtext(id::text) FROM unnest(ids) AS id WHERE id IS NOT NULL ORDER BY 1
        LOOP
          IF shared THEN
            PERFORM pg_advisory_xact_lock_shared(kind_key, id_key);
          ELSE
            PERFORM pg_advisory_xact_lock(kind_key, id_key);
          END IF;
        END LOOP;
      END $$`);
    // The whole read model: shared for a trigger that locks keys, exclusive for one that locks
    // too many or rebuilds everything. Returns whether keys should be locked.
    await queryRunner.query(`
      CREATE FUNCTION "search_lock_read_model"(keys int) RETURNS boolean
      LANGUAGE plpgsql AS $$
      BEGIN
        IF keys > ${SEARCH_LOCK_ESCALATION} THEN
          PERFORM pg_advisory_xact_lock(hashtext('search_documents:all'), 0);
          RETURN false;
        END IF;
        PERFORM pg_advisory_xact_lock_shared(hashtext('search_documents:all'), 0);
        RETURN true;
      END $$`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "search_refresh_all_documents"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM search_lock_read_model(${SEARCH_LOCK_ESCALATION + 1});
        DELETE FROM search_documents;
        PERFORM search_refresh_documents(ARRAY(SELECT id FROM cards));
        RETURN NULL;
      END $$`);

    for (const [table, affected] of Object.entries(AFFECTED)) {
      const { authors, tags, cards } = affected;
      await queryRunner.query(`
        CREATE OR REPLACE FUNCTION "search_documents_after_${table}"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          author_ids uuid[] := '{}';
          tag_ids uuid[] := '{}';
          card_ids uuid[] := '{}';
        BEGIN
          ${authors ? collect('author_ids', authors) : ''}
          ${tags ? collect('tag_ids', tags) : ''}
          -- A first look at the cards, only to size the locks.
          ${collect('card_ids', cards)}
          IF search_lock_read_model(greatest(cardinality(author_ids), cardinality(tag_ids),
                                             cardinality(card_ids))) THEN
            PERFORM search_lock_keys('author', author_ids, ${table !== 'authors'});
            PERFORM search_lock_keys('tag', tag_ids, ${table !== 'tags'});
            -- Again, with the parents locked: links committed meanwhile are seen now.
            ${collect('card_ids', cards)}
            PERFORM search_lock_keys('card', card_ids, false);
          ELSE
            ${collect('card_ids', cards)}
          END IF;
          PERFORM search_refresh_documents(card_ids);
          RETURN NULL;
        END $$`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The first migration's functions, as they were.
    const changed = DOCUMENT_COLUMNS.map((c) => `d."${c}"`).join(', ');
    const excluded = DOCUMENT_COLUMNS.map((c) => `EXCLUDED."${c}"`).join(', ');
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "search_refresh_documents"(card_ids uuid[]) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM search_documents d
         WHERE d.card_id = ANY (card_ids)
           AND NOT EXISTS (SELECT 1 FROM cards c JOIN authors a ON a.id = c.author_id
                            WHERE c.id = d.card_id);
        INSERT INTO search_documents AS d
               ("card_id", ${DOCUMENT_COLUMNS.map((c) => `"${c}"`).join(', ')})
        SELECT c.id, c.status, c.title, c.body, a.id, a.handle, a.display_name,
               ARRAY(SELECT t.name FROM card_tags ct JOIN tags t ON t.id = ct.tag_id
                      WHERE ct.card_id = c.id ORDER BY t.name COLLATE "C"),
               (SELECT count(*) FROM likes l WHERE l.card_id = c.id)::int,
               (SELECT count(*) FROM comments m WHERE m.card_id = c.id)::int,
               c.created_at, c.updated_at
          FROM cards c
          JOIN authors a ON a.id = c.author_id
         WHERE c.id = ANY (card_ids)
        ON CONFLICT ("card_id") DO UPDATE
           SET ${DOCUMENT_COLUMNS.map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}
         WHERE (${changed}) IS DISTINCT FROM (${excluded});
      END $$`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "search_refresh_all_documents"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM search_documents;
        PERFORM search_refresh_documents(ARRAY(SELECT id FROM cards));
        RETURN NULL;
      END $$`);
    for (const [table, { cards }] of Object.entries(AFFECTED))
      await queryRunner.query(`
        CREATE OR REPLACE FUNCTION "search_documents_after_${table}"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          card_ids uuid[] := '{}';
        BEGIN
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            card_ids := card_ids || ARRAY(${cards('new_rows')});
          END IF;
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            card_ids := card_ids || ARRAY(${cards('old_rows')});
          END IF;
          PERFORM search_refresh_documents(card_ids);
          RETURN NULL;
        END $$`);
    await queryRunner.query(`DROP FUNCTION "search_lock_read_model"(int)`);
    await queryRunner.query(`DROP FUNCTION "search_lock_keys"(text, uuid[], boolean)`);
    await queryRunner.query(`DROP VIEW "search_documents_expected"`);
  }
}
