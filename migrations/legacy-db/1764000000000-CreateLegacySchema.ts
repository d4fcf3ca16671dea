import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The monolith's tables: users and follows, cards with tags, likes and comments, and the
 * moderation log. Every table has a primary key (logical replication needs a replica identity).
 */
export class CreateLegacySchema1764000000000 implements MigrationInterface {
  name = 'CreateLegacySchema1764000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "handle" varchar(40) NOT NULL,
        "display_name" varchar(100) NOT NULL,
        "email" varchar(254) NOT NULL,
        "role" varchar(16) NOT NULL DEFAULT 'member',
        "api_token_issued_at" timestamptz,
        "banned_at" timestamptz,
        "ban_reason" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "users_role_check" CHECK ("role" IN ('member', 'admin'))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "users_handle_key" ON "users" ("handle")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "users_email_key" ON "users" ("email")`);

    await queryRunner.query(`
      CREATE TABLE "follows" (
        "follower_id" uuid NOT NULL,
        "followee_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "follows_pkey" PRIMARY KEY ("follower_id", "followee_id"),
        CONSTRAINT "follows_not_self_check" CHECK ("follower_id" <> "followee_id"),
        CONSTRAINT "follows_follower_id_fkey" FOREIGN KEY ("follower_id")
          REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "follows_followee_id_fkey" FOREIGN KEY ("followee_id")
          REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "follows_followee_id_idx" ON "follows" ("followee_id")`);

    await queryRunner.query(`
      CREATE TABLE "cards" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "author_id" uuid NOT NULL,
        "title" varchar(200) NOT NULL,
        "body" text NOT NULL,
        "status" varchar(16) NOT NULL DEFAULT 'published',
        "hidden_reason" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "cards_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "cards_status_check" CHECK ("status" IN ('published', 'hidden')),
        CONSTRAINT "cards_author_id_fkey" FOREIGN KEY ("author_id")
          REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "cards_author_id_created_at_idx" ON "cards" ("author_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "cards_created_at_id_idx" ON "cards" ("created_at", "id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "tags" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" varchar(40) NOT NULL,
        CONSTRAINT "tags_pkey" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "tags_name_key" ON "tags" ("name")`);

    await queryRunner.query(`
      CREATE TABLE "card_tags" (
        "card_id" uuid NOT NULL,
        "tag_id" uuid NOT NULL,
        CONSTRAINT "card_tags_pkey" PRIMARY KEY ("card_id", "tag_id"),
        CONSTRAINT "card_tags_card_id_fkey" FOREIGN KEY ("card_id")
          REFERENCES "cards" ("id") ON DELETE CASCADE,
        CONSTRAINT "card_tags_tag_id_fkey" FOREIGN KEY ("tag_id")
          REFERENCES "tags" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "card_tags_tag_id_idx" ON "card_tags" ("tag_id")`);

    await queryRunner.query(`
      CREATE TABLE "likes" (
        "user_id" uuid NOT NULL,
        "card_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "likes_pkey" PRIMARY KEY ("user_id", "card_id"),
        CONSTRAINT "likes_user_id_fkey" FOREIGN KEY ("user_id")
          REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "likes_card_id_fkey" FOREIGN KEY ("card_id")
          REFERENCES "cards" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "likes_card_id_idx" ON "likes" ("card_id")`);

    await queryRunner.query(`
      CREATE TABLE "comments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "card_id" uuid NOT NULL,
        "author_id" uuid NOT NULL,
        "body" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "comments_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "comments_card_id_fkey" FOREIGN KEY ("card_id")
          REFERENCES "cards" ("id") ON DELETE CASCADE,
        CONSTRAINT "comments_author_id_fkey" FOREIGN KEY ("author_id")
          REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "comments_card_id_created_at_idx" ON "comments" ("card_id", "created_at", "id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "moderation_actions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "actor_id" uuid NOT NULL,
        "action" varchar(32) NOT NULL,
        "target_type" varchar(16) NOT NULL,
        "target_id" uuid NOT NULL,
        "reason" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "moderation_actions_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "moderation_actions_action_check"
          CHECK ("action" IN ('hide_card', 'unhide_card', 'ban_user', 'unban_user')),
        CONSTRAINT "moderation_actions_target_type_check" CHECK ("target_type" IN ('card', 'user')),
        CONSTRAINT "moderation_actions_actor_id_fkey" FOREIGN KEY ("actor_id")
          REFERENCES "users" ("id") ON DELETE RESTRICT
      )`);
    await queryRunner.query(
      `CREATE INDEX "moderation_actions_created_at_idx" ON "moderation_actions" ("created_at", "id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "moderation_actions"`);
    await queryRunner.query(`DROP TABLE "comments"`);
    await queryRunner.query(`DROP TABLE "likes"`);
    await queryRunner.query(`DROP TABLE "card_tags"`);
    await queryRunner.query(`DROP TABLE "tags"`);
    await queryRunner.query(`DROP TABLE "cards"`);
    await queryRunner.query(`DROP TABLE "follows"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
