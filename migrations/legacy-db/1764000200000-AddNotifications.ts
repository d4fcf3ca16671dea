import { MigrationInterface, QueryRunner } from 'typeorm';

/** Notifications of new cards for the followers of their author (from cards-service's events). */
export class AddNotifications1764000200000 implements MigrationInterface {
  name = 'AddNotifications1764000200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "notifications" (
        "user_id" uuid NOT NULL,
        "card_id" uuid NOT NULL,
        "author_id" uuid NOT NULL,
        "card_title" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "notifications_pkey" PRIMARY KEY ("user_id", "card_id"),
        CONSTRAINT "notifications_user_id_fkey" FOREIGN KEY ("user_id")
          REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notifications"`);
  }
}
