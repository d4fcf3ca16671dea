import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Full-text search over cards: a STORED generated `tsvector` (title weighted A, body B) kept
 * current by PostgreSQL itself, and a GIN index for `@@` queries.
 */
export class AddCardSearchVector1764000100000 implements MigrationInterface {
  name = 'AddCardSearchVector1764000100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "cards" ADD COLUMN "search_vector" tsvector
        GENERATED ALWAYS AS (
          setweight(to_tsvector('english', coalesce("title", '')), 'A') ||
          setweight(to_tsvector('english', coalesce("body", '')), 'B')
        ) STORED`);
    await queryRunner.query(
      `CREATE INDEX "cards_search_vector_idx" ON "cards" USING GIN ("search_vector")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "cards_search_vector_idx"`);
    await queryRunner.query(`ALTER TABLE "cards" DROP COLUMN "search_vector"`);
  }
}
