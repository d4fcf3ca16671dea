import { MigrationInterface, QueryRunner } from 'typeorm';

const SEARCH_VECTOR_EXPRESSION =
  `setweight(to_tsvector('english', coalesce("title", '')), 'A') || ` +
  `setweight(to_tsvector('english', coalesce("body", '')), 'B')`;

/**
 * Full-text search over cards: a STORED generated `tsvector` (title weighted A, body B) kept
 * current by PostgreSQL itself, and a GIN index for `@@` queries.
 *
 * TypeORM remembers generated-column expressions in its own `typeorm_metadata` table (the
 * migration runner creates it, without a key, before running migrations when an entity has a
 * generated column) and compares them when diffing entities against the schema, so the
 * expression is recorded there too. The table gets a primary key like every other table here,
 * so logical replication can carry it.
 */
export class AddCardSearchVector1764000100000 implements MigrationInterface {
  name = 'AddCardSearchVector1764000100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "cards" ADD COLUMN "search_vector" tsvector
        GENERATED ALWAYS AS (${SEARCH_VECTOR_EXPRESSION}) STORED`);
    await queryRunner.query(
      `CREATE INDEX "cards_search_vector_idx" ON "cards" USING GIN ("search_vector")`,
    );
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS "typeorm_metadata" (
        "type" varchar NOT NULL,
        "database" varchar,
        "schema" varchar,
        "table" varchar,
        "name" varchar,
        "value" text
      )`);
    await queryRunner.query(`ALTER TABLE "typeorm_metadata" ADD COLUMN IF NOT EXISTS "id" serial`);
    await queryRunner.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_constraint
                        WHERE conrelid = '"typeorm_metadata"'::regclass AND contype = 'p') THEN
          ALTER TABLE "typeorm_metadata" ADD CONSTRAINT "typeorm_metadata_pkey" PRIMARY KEY ("id");
        END IF;
      END $$`);
    await queryRunner.query(
      `INSERT INTO "typeorm_metadata" ("database", "schema", "table", "type", "name", "value")
       VALUES (current_database(), 'public', 'cards', 'GENERATED_COLUMN', 'search_vector', $1)`,
      [SEARCH_VECTOR_EXPRESSION],
    );
  }

  /** Leaves `typeorm_metadata` itself in place: TypeORM recreates it before every migration run. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM "typeorm_metadata" WHERE "type" = 'GENERATED_COLUMN'
          AND "schema" = 'public' AND "table" = 'cards' AND "name" = 'search_vector'`,
    );
    await queryRunner.query(`DROP INDEX "cards_search_vector_idx"`);
    await queryRunner.query(`ALTER TABLE "cards" DROP COLUMN "search_vector"`);
  }
}
