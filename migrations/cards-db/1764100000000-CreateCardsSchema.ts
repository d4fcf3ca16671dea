import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cards database: the cards, their tags, comments and likes, and `authors`, the service's
 * read copy of the legacy users it needs (foreign keys cascade like the legacy ones, so
 * replaying a legacy delete works). Column names follow the legacy schema so a change data
 * capture pipeline can map legacy rows onto these tables one to one.
 */
export class CreateCardsSchema1764100000000 implements MigrationInterface {
  name = 'CreateCardsSchema1764100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "authors" (
        "id" uuid NOT NULL,
        "handle" text NOT NULL,
        "display_name" text NOT NULL,
        "banned_at" timestamptz,
        CONSTRAINT "PK_authors" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`
      CREATE TABLE "cards" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "author_id" uuid NOT NULL,
        "title" text NOT NULL,
        "body" text NOT NULL,
        "status" text NOT NULL DEFAULT 'published',
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_cards" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_cards_status" CHECK ("status" IN ('published', 'hidden')),
        CONSTRAINT "FK_cards_author" FOREIGN KEY ("author_id") REFERENCES "authors" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_cards_published_recent" ON "cards" ("created_at" DESC, "id" DESC) WHERE "status" = 'published'`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_cards_author" ON "cards" ("author_id")`);
    await queryRunner.query(`
      CREATE TABLE "tags" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        CONSTRAINT "PK_tags" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_tags_name" UNIQUE ("name")
      )`);
    await queryRunner.query(`
      CREATE TABLE "card_tags" (
        "card_id" uuid NOT NULL,
        "tag_id" uuid NOT NULL,
        CONSTRAINT "PK_card_tags" PRIMARY KEY ("card_id", "tag_id"),
        CONSTRAINT "FK_card_tags_card" FOREIGN KEY ("card_id") REFERENCES "cards" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_card_tags_tag" FOREIGN KEY ("tag_id") REFERENCES "tags" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_card_tags_tag" ON "card_tags" ("tag_id")`);
    await queryRunner.query(`
      CREATE TABLE "comments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "card_id" uuid NOT NULL,
        "author_id" uuid NOT NULL,
        "body" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_comments" PRIMARY KEY ("id"),
        CONSTRAINT "FK_comments_card" FOREIGN KEY ("card_id") REFERENCES "cards" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_comments_author" FOREIGN KEY ("author_id") REFERENCES "authors" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_comments_card_created" ON "comments" ("card_id", "created_at", "id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "likes" (
        "user_id" uuid NOT NULL,
        "card_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_likes" PRIMARY KEY ("user_id", "card_id"),
        CONSTRAINT "FK_likes_card" FOREIGN KEY ("card_id") REFERENCES "cards" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_likes_author" FOREIGN KEY ("user_id") REFERENCES "authors" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_likes_card" ON "likes" ("card_id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "likes"`);
    await queryRunner.query(`DROP TABLE "comments"`);
    await queryRunner.query(`DROP TABLE "card_tags"`);
    await queryRunner.query(`DROP TABLE "tags"`);
    await queryRunner.query(`DROP TABLE "cards"`);
    await queryRunner.query(`DROP TABLE "authors"`);
  }
}
