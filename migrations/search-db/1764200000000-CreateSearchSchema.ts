import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Legacy's `cards.search_vector` expression, character for character (see
 * migrations/legacy-db/1764000100000-AddCardSearchVector.ts): the same words with the same
 * weights give the same `ts_rank`, so results rank exactly as in the monolith.
 */
export const SEARCH_VECTOR_EXPRESSION =
  `setweight(to_tsvector('english', coalesce("title", '')), 'A') || ` +
  `setweight(to_tsvector('english', coalesce("body", '')), 'B')`;

/**
 * Which cards each raw table's changed rows touch, as `SELECT <card id> FROM rows` over a
 * transition table (`rows` is `new_rows` or `old_rows`).
 */
const AFFECTED_CARDS: Record<string, (rows: string) => string> = {
  cards: (rows) => `SELECT id FROM ${rows}`,
  card_tags: (rows) => `SELECT card_id FROM ${rows}`,
  likes: (rows) => `SELECT card_id FROM ${rows}`,
  comments: (rows) => `SELECT card_id FROM ${rows}`,
  // A rename or a new author (whose cards may have arrived first) changes the author's cards.
  authors: (rows) => `SELECT c.id FROM cards c WHERE c.author_id IN (SELECT id FROM ${rows})`,
  // A renamed tag changes the tag lists of the cards that carry it.
  tags: (rows) => `SELECT ct.card_id FROM card_tags ct WHERE ct.tag_id IN (SELECT id FROM ${rows})`,
};

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
 * The search database: the raw tables the `search` sync pipeline fills from the cards database
 * (only the columns search needs), and the read model `search_documents`, one row per card with
 * everything a search hit shows plus a stored tsvector, kept current by triggers on the raw
 * tables.
 *
 * The raw tables have no foreign keys on purpose: the sync may apply a child before its parent
 * (the Kafka transport reads one topic per table, and its apply runs with
 * `session_replication_role = replica`, under which foreign keys are not enforced anyway). The
 * document of a card is recomputed from scratch from whatever rows are present, so the arrival
 * order does not matter: a card without its author yet has no document, and the author's arrival
 * builds it.
 *
 * Triggers are statement-level with transition tables: the initial copy writes 1 000 rows per
 * statement, and each statement recomputes each touched card once.
 */
export class CreateSearchSchema1764200000000 implements MigrationInterface {
  name = 'CreateSearchSchema1764200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "authors" (
        "id" uuid NOT NULL,
        "handle" text NOT NULL,
        "display_name" text NOT NULL,
        CONSTRAINT "PK_authors" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`
      CREATE TABLE "cards" (
        "id" uuid NOT NULL,
        "author_id" uuid NOT NULL,
        "title" text NOT NULL,
        "body" text NOT NULL,
        "status" text NOT NULL,
        "created_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL,
        CONSTRAINT "PK_cards" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_cards_author" ON "cards" ("author_id")`);
    await queryRunner.query(`
      CREATE TABLE "tags" (
        "id" uuid NOT NULL,
        "name" text NOT NULL,
        CONSTRAINT "PK_tags" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`
      CREATE TABLE "card_tags" (
        "card_id" uuid NOT NULL,
        "tag_id" uuid NOT NULL,
        CONSTRAINT "PK_card_tags" PRIMARY KEY ("card_id", "tag_id")
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_card_tags_tag" ON "card_tags" ("tag_id")`);
    await queryRunner.query(`
      CREATE TABLE "likes" (
        "user_id" uuid NOT NULL,
        "card_id" uuid NOT NULL,
        CONSTRAINT "PK_likes" PRIMARY KEY ("user_id", "card_id")
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_likes_card" ON "likes" ("card_id")`);
    await queryRunner.query(`
      CREATE TABLE "comments" (
        "id" uuid NOT NULL,
        "card_id" uuid NOT NULL,
        CONSTRAINT "PK_comments" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_comments_card" ON "comments" ("card_id")`);

    // The read model. Hidden cards keep their document (status 'hidden'); the search reads
    // only 'published' ones, as legacy does. Banned authors' cards stay searchable, as in legacy
    // (a ban only stops the user writing), so the author's ban is not copied at all.
    await queryRunner.query(`
      CREATE TABLE "search_documents" (
        "card_id" uuid NOT NULL,
        "status" text NOT NULL,
        "title" text NOT NULL,
        "body" text NOT NULL,
        "author_id" uuid NOT NULL,
        "author_handle" text NOT NULL,
        "author_display_name" text NOT NULL,
        "tags" text[] NOT NULL,
        "like_count" integer NOT NULL,
        "comment_count" integer NOT NULL,
        "created_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL,
        "search_vector" tsvector GENERATED ALWAYS AS (${SEARCH_VECTOR_EXPRESSION}) STORED,
        CONSTRAINT "PK_search_documents" PRIMARY KEY ("card_id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_search_documents_vector" ON "search_documents" USING GIN ("search_vector")`,
    );

    // Rebuilds the documents of the given cards from the raw tables: upserts the ones whose card
    // and author are present, deletes the others. Tags in code-point order (the service sorts
    // them again by UTF-16 code unit, as legacy does); counts over every like and comment (legacy
    // counts banned users' too). A document that would not change is not rewritten.
    const changed = DOCUMENT_COLUMNS.map((c) => `d."${c}"`).join(', ');
    const excluded = DOCUMENT_COLUMNS.map((c) => `EXCLUDED."${c}"`).join(', ');
    await queryRunner.query(`
      CREATE FUNCTION "search_refresh_documents"(card_ids uuid[]) RETURNS void
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
      CREATE FUNCTION "search_refresh_all_documents"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM search_documents;
        PERFORM search_refresh_documents(ARRAY(SELECT id FROM cards));
        RETURN NULL;
      END $$`);

    for (const [table, affected] of Object.entries(AFFECTED_CARDS)) {
      const fn = `search_documents_after_${table}`;
      await queryRunner.query(`
        CREATE FUNCTION "${fn}"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          card_ids uuid[] := '{}';
        BEGIN
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            card_ids := card_ids || ARRAY(${affected('new_rows')});
          END IF;
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            card_ids := card_ids || ARRAY(${affected('old_rows')});
          END IF;
          PERFORM search_refresh_documents(card_ids);
          RETURN NULL;
        END $$`);
      // One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
      const triggers = [
        [`${fn}_insert`, 'INSERT', 'NEW TABLE AS new_rows'],
        [`${fn}_update`, 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'],
        [`${fn}_delete`, 'DELETE', 'OLD TABLE AS old_rows'],
      ];
      for (const [name, event, transition] of triggers)
        await queryRunner.query(
          `CREATE TRIGGER "${name}" AFTER ${event} ON "${table}" REFERENCING ${transition}
             FOR EACH STATEMENT EXECUTE FUNCTION "${fn}"()`,
        );
      await queryRunner.query(
        `CREATE TRIGGER "search_documents_after_${table}_truncate" AFTER TRUNCATE ON "${table}"
           FOR EACH STATEMENT EXECUTE FUNCTION "search_refresh_all_documents"()`,
      );
      // ALWAYS: an ordinary trigger fires only when session_replication_role is 'origin' or
      // 'local'. The sync's apply sessions may run with session_replication_role = replica (the
      // Kafka transport does, so that rows arriving child-before-parent are not refused by
      // foreign keys, as PostgreSQL's own logical replication does), and then ordinary triggers
      // are skipped silently: the raw tables would follow the cards database while the read
      // model went stale. ENABLE ALWAYS makes these triggers fire in every mode.
      for (const [name] of [...triggers, [`search_documents_after_${table}_truncate`]])
        await queryRunner.query(`ALTER TABLE "${table}" ENABLE ALWAYS TRIGGER "${name}"`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['likes', 'comments', 'card_tags', 'tags', 'cards', 'authors'])
      await queryRunner.query(`DROP TABLE "${table}"`);
    for (const table of Object.keys(AFFECTED_CARDS))
      await queryRunner.query(`DROP FUNCTION "search_documents_after_${table}"()`);
    await queryRunner.query(`DROP FUNCTION "search_refresh_all_documents"()`);
    await queryRunner.query(`DROP FUNCTION "search_refresh_documents"(uuid[])`);
    await queryRunner.query(`DROP TABLE "search_documents"`);
  }
}
