import { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import request from 'supertest';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../../test-support/database.js';
import { copyCardsFromLegacy } from '../src/copy-from-legacy/copy-from-legacy.js';
import { createCardsDataSource } from '../src/database/data-source.js';
import { runCardsMigrations } from '../src/database/run-migrations.js';
import { createLegacyCardsSchema, seedLegacyCards } from './support/legacy-schema.js';
import {
  createCardsDatabase,
  E2E_TIMEOUT_MS,
  sqlClient,
  startCardsService,
  testConfig,
} from './support/cards-test-env.js';

const SIZE = { users: 300, cards: 3_000, tags: 50, perCard: 3 };

/** The cards database on one PostgreSQL server: its migrations, and the copy from legacy. */
describe('cards database', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startTestPostgres('cards-db');
  }, E2E_TIMEOUT_MS);
  afterAll(() => cluster?.stop(), E2E_TIMEOUT_MS);

  describe('migrations', () => {
    const tables = async (url: string) => {
      const dataSource = await createCardsDataSource(url).initialize();
      try {
        const rows: { table_name: string; has_pk: boolean }[] = await dataSource.query(
          `SELECT t.table_name,
                  EXISTS (SELECT 1 FROM information_schema.table_constraints c
                           WHERE c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY') AS has_pk
             FROM information_schema.tables t
            WHERE t.table_schema = 'public' ORDER BY t.table_name`,
        );
        return rows;
      } finally {
        await dataSource.destroy();
      }
    };

    it(
      'creates every table with a primary key, is re-runnable, and matches the entities',
      async () => {
        const url = await createTestDatabase(cluster, 'cards_mig');
        expect(await runCardsMigrations(url)).toEqual(['CreateCardsSchema1764100000000']);
        expect(await runCardsMigrations(url)).toEqual([]);
        expect(await tables(url)).toEqual(
          ['authors', 'card_tags', 'cards', 'cards_migrations', 'comments', 'likes', 'tags'].map(
            (table_name) => ({ table_name, has_pk: true }),
          ),
        );

        // What `migration:generate --check` does: the entities need no further schema change.
        const dataSource = await createCardsDataSource(url).initialize();
        try {
          const pending = await dataSource.driver.createSchemaBuilder().log();
          expect(pending.upQueries.map((query) => query.query)).toEqual([]);
        } finally {
          await dataSource.destroy();
        }
      },
      E2E_TIMEOUT_MS,
    );

    it('reverts with down()', async () => {
      const url = await createTestDatabase(cluster, 'cards_down');
      await runCardsMigrations(url);
      const dataSource = await createCardsDataSource(url).initialize();
      try {
        await dataSource.undoLastMigration();
      } finally {
        await dataSource.destroy();
      }
      expect(await tables(url)).toEqual([{ table_name: 'cards_migrations', has_pk: true }]);
    });
  });

  describe('copyCardsFromLegacy', () => {
    let legacyUrl: string;
    let cardsUrl: string;
    let legacy: pg.Pool;
    let cards: pg.Pool;

    beforeAll(async () => {
      legacyUrl = await createTestDatabase(cluster, 'legacy');
      cardsUrl = await createCardsDatabase(cluster);
      legacy = sqlClient(legacyUrl);
      cards = sqlClient(cardsUrl);
      await createLegacyCardsSchema(legacy);
      await seedLegacyCards(legacy, SIZE);
    }, E2E_TIMEOUT_MS);

    afterAll(async () => {
      await legacy?.end();
      await cards?.end();
    }, E2E_TIMEOUT_MS);

    const legacyCounts = async () => {
      const { rows } = await legacy.query<Record<string, number>>(
        `SELECT (SELECT count(*) FROM users)::int AS authors, (SELECT count(*) FROM cards)::int AS cards,
                (SELECT count(*) FROM tags)::int AS tags, (SELECT count(*) FROM card_tags)::int AS card_tags,
                (SELECT count(*) FROM comments)::int AS comments, (SELECT count(*) FROM likes)::int AS likes`,
      );
      return rows[0];
    };

    /** Each table's rows as text, in a stable order: equal snapshots mean an identical copy. */
    const snapshot = async (db: pg.Pool, queries: Record<string, string>) => {
      const result: Record<string, string> = {};
      for (const [table, sql] of Object.entries(queries)) {
        const { rows } = await db.query<{ digest: string }>(
          `SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) AS digest FROM (${sql}) r`,
        );
        result[table] = rows[0].digest;
      }
      return result;
    };
    const sourceRows = {
      authors: 'SELECT id, handle, display_name, banned_at FROM users',
      cards: 'SELECT id, author_id, title, body, status, created_at, updated_at FROM cards',
      tags: 'SELECT id, name FROM tags',
      card_tags: 'SELECT card_id, tag_id FROM card_tags',
      comments: 'SELECT id, card_id, author_id, body, created_at FROM comments',
      likes: 'SELECT user_id, card_id, created_at FROM likes',
    };
    const targetRows = {
      ...sourceRows,
      authors: 'SELECT id, handle, display_name, banned_at FROM authors',
    };

    it(
      'copies every row with the same ids and timestamps, fast',
      async () => {
        const started = Date.now();
        const copied = await copyCardsFromLegacy(legacyUrl, cardsUrl);
        const elapsed = Date.now() - started;

        const expected = await legacyCounts();
        expect(copied).toEqual(expected);
        expect(copied.cards).toBe(SIZE.cards);
        expect(copied.likes).toBe(SIZE.cards * SIZE.perCard);
        expect(elapsed).toBeLessThan(10_000);
        expect(await snapshot(cards, targetRows)).toEqual(await snapshot(legacy, sourceRows));
      },
      E2E_TIMEOUT_MS,
    );

    it(
      'is idempotent: a second run gives the same rows and counts',
      async () => {
        const first = await snapshot(cards, targetRows);
        const again = await copyCardsFromLegacy(legacyUrl, cardsUrl);
        expect(again).toEqual(await legacyCounts());
        expect(await snapshot(cards, targetRows)).toEqual(first);
      },
      E2E_TIMEOUT_MS,
    );

    it(
      'picks up legacy changes on a re-run (rows gone in legacy go here too)',
      async () => {
        await legacy.query(
          `DELETE FROM cards WHERE id IN (SELECT id FROM cards ORDER BY id LIMIT 5)`,
        );
        await legacy.query(`UPDATE users SET display_name = 'Renamed' WHERE handle = 'user1'`);
        const copied = await copyCardsFromLegacy(legacyUrl, cardsUrl);
        expect(copied).toEqual(await legacyCounts());
        expect(await snapshot(cards, targetRows)).toEqual(await snapshot(legacy, sourceRows));
      },
      E2E_TIMEOUT_MS,
    );

    it(
      'serves the copied rows: timestamps as legacy stored them, hidden cards absent',
      async () => {
        const app: INestApplication = await startCardsService(await testConfig(cardsUrl));
        try {
          const { rows } = await legacy.query<Record<string, string>>(
            `SELECT c.id, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created,
                  (SELECT count(*) FROM likes l WHERE l.card_id = c.id)::int AS likes,
                  (SELECT count(*) FROM comments m WHERE m.card_id = c.id)::int AS comments
             FROM cards c WHERE c.status = 'published' ORDER BY c.created_at DESC, c.id DESC LIMIT 1`,
          );
          const newest = rows[0];
          const res = await request(app.getHttpServer()).get('/cards?pageSize=1').expect(200);
          expect(res.body.total).toBe(
            (await legacy.query(`SELECT 1 FROM cards WHERE status = 'published'`)).rowCount,
          );
          expect(res.body.items[0]).toMatchObject({
            id: newest.id,
            createdAt: newest.created,
            likeCount: newest.likes,
            commentCount: newest.comments,
          });
          const hidden = await legacy.query<{ id: string }>(
            `SELECT id FROM cards WHERE status = 'hidden' LIMIT 1`,
          );
          await request(app.getHttpServer()).get(`/cards/${hidden.rows[0].id}`).expect(404);
        } finally {
          await app.close();
        }
      },
      E2E_TIMEOUT_MS,
    );
  });
});
