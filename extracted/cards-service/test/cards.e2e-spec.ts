import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import request from 'supertest';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { startTestPostgres } from '../../../test-support/database.js';
import { signAuthToken } from '../src/auth/auth-token.js';
import { insertAuthor, TestAuthor } from './support/authors.factory.js';
import {
  E2E_TIMEOUT_MS,
  createCardsDatabase,
  sqlClient,
  startCardsService,
  testConfig,
} from './support/cards-test-env.js';

/**
 * The public contract (docs/contracts/cards-api.md) on a real PostgreSQL. Events go to a port
 * nobody listens on, so every write here also shows HTTP does not depend on the event listener.
 */
describe('cards-service HTTP contract', () => {
  let cluster: PostgresCluster;
  let db: pg.Pool;
  let app: INestApplication;
  let http: () => ReturnType<typeof request>;
  let ada: TestAuthor;
  let bob: TestAuthor;
  let banned: TestAuthor;

  beforeAll(async () => {
    cluster = await startTestPostgres('cards-http');
    const url = await createCardsDatabase(cluster);
    db = sqlClient(url);
    app = await startCardsService(await testConfig(url));
    const server = app.getHttpServer();
    http = () => request(server);
    ada = await insertAuthor(db, { handle: 'ada', displayName: 'Ada Lovelace' });
    bob = await insertAuthor(db, { handle: 'bob', displayName: 'Bob' });
    banned = await insertAuthor(db, { banned: true });
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await db?.end();
    await cluster?.stop();
  }, E2E_TIMEOUT_MS);

  const createCard = async (author: TestAuthor, body: object = {}) => {
    const res = await http()
      .post('/cards')
      .set('Authorization', author.bearer)
      .send({ title: 'A title', body: 'A body', ...body })
      .expect(201);
    return res.body as { id: string; createdAt: string; updatedAt: string; tags: string[] };
  };

  const hideCard = (id: string) =>
    db.query(`UPDATE cards SET status = 'hidden' WHERE id = $1`, [id]);

  it('GET /health', async () => {
    const res = await http().get('/health').expect(200);
    expect(res.text).toBe('{"status":"ok"}');
  });

  describe('POST /cards', () => {
    it('creates a card and answers its CardView in contract key order', async () => {
      const started = Date.now();
      const res = await http()
        .post('/cards')
        .set('Authorization', ada.bearer)
        .send({ title: 'Hello', body: 'World', tags: [' NestJS', 'api', 'nestjs ', 'API'] })
        .expect(201);
      expect(Date.now() - started).toBeLessThan(2_000);
      const card = res.body;
      expect(card.createdAt).toBe(card.updatedAt);
      expect(new Date(card.createdAt).toISOString()).toBe(card.createdAt);
      expect(res.text).toBe(
        JSON.stringify({
          id: card.id,
          title: 'Hello',
          body: 'World',
          author: { id: ada.id, handle: 'ada', displayName: 'Ada Lovelace' },
          tags: ['api', 'nestjs'],
          likeCount: 0,
          commentCount: 0,
          createdAt: card.createdAt,
          updatedAt: card.updatedAt,
        }),
      );
      const fetched = await http().get(`/cards/${card.id}`).expect(200);
      expect(fetched.text).toBe(res.text);
    });

    it('creates a card without tags', async () => {
      const card = await createCard(ada);
      expect(card.tags).toEqual([]);
    });

    it.each([
      ['no Authorization header', undefined],
      ['another scheme', 'Basic abc'],
      ['a forged token', `Bearer ${randomUUID()}.${'0'.repeat(64)}`],
      ['a token of an unknown user', `Bearer ${signAuthToken(randomUUID(), 'cards-e2e-secret')}`],
    ])('401 with %s', async (_case, authorization) => {
      const req = http().post('/cards').send({ title: 't', body: 'b' });
      if (authorization) req.set('Authorization', authorization);
      const res = await req.expect(401);
      expect(res.text).toBe('{"statusCode":401,"message":"Unauthorized"}');
    });

    it('403 for a banned user', async () => {
      const res = await http()
        .post('/cards')
        .set('Authorization', banned.bearer)
        .send({ title: 't', body: 'b' })
        .expect(403);
      expect(res.text).toBe('{"message":"User is banned","error":"Forbidden","statusCode":403}');
    });

    it.each([
      [
        { title: 'x'.repeat(201), body: 'b' },
        ['title must be shorter than or equal to 200 characters'],
      ],
      [
        { body: 'b' },
        ['title must be longer than or equal to 1 characters', 'title must be a string'],
      ],
      [{ title: '', body: 'b' }, ['title must be longer than or equal to 1 characters']],
      [
        { title: 't', body: 'x'.repeat(10_001) },
        ['body must be shorter than or equal to 10000 characters'],
      ],
      [
        { title: 't', body: 'b', tags: 'one' },
        ['tags must contain no more than 10 elements', 'tags must be an array'],
      ],
      [
        { title: 't', body: 'b', tags: Array.from({ length: 11 }, (_v, i) => `t${i}`) },
        ['tags must contain no more than 10 elements'],
      ],
      [
        { title: 't', body: 'b', tags: ['', 'x'.repeat(41)] },
        [
          'each value in tags must be longer than or equal to 1 and shorter than or equal to 40 characters',
        ],
      ],
      [
        { title: 't', body: 'b', tags: [1] },
        [
          'each value in tags must be longer than or equal to 1 and shorter than or equal to 40 characters',
          'each value in tags must be a string',
        ],
      ],
      [{ title: 't', body: 'b', extra: true }, ['property extra should not exist']],
    ])('400 for %j', async (body, messages) => {
      const res = await http()
        .post('/cards')
        .set('Authorization', ada.bearer)
        .send(body)
        .expect(400);
      expect(res.body).toEqual({ message: messages, error: 'Bad Request', statusCode: 400 });
      expect(Object.keys(res.body)).toEqual(['message', 'error', 'statusCode']);
    });
  });

  describe('GET /cards/:id', () => {
    it('404 with the contract body when missing', async () => {
      const id = randomUUID();
      const res = await http().get(`/cards/${id}`).expect(404);
      expect(res.text).toBe(
        `{"message":"Card ${id} not found","error":"Not Found","statusCode":404}`,
      );
    });

    it('404 when hidden', async () => {
      const card = await createCard(ada);
      await hideCard(card.id);
      await http().get(`/cards/${card.id}`).expect(404);
    });

    it('400 when the id is not a UUID', async () => {
      const res = await http().get('/cards/not-a-uuid').expect(400);
      expect(res.text).toBe(
        '{"message":"Validation failed (uuid is expected)","error":"Bad Request","statusCode":400}',
      );
    });

    it('counts likes and comments', async () => {
      const card = await createCard(ada);
      await http().put(`/cards/${card.id}/like`).set('Authorization', ada.bearer).expect(204);
      await http().put(`/cards/${card.id}/like`).set('Authorization', bob.bearer).expect(204);
      await http()
        .post(`/cards/${card.id}/comments`)
        .set('Authorization', bob.bearer)
        .send({ body: 'Nice' })
        .expect(201);
      const res = await http().get(`/cards/${card.id}`).expect(200);
      expect(res.body).toMatchObject({ likeCount: 2, commentCount: 1 });
    });
  });

  describe('GET /cards', () => {
    let lister: TestAuthor;
    let ids: string[];

    beforeAll(async () => {
      lister = await insertAuthor(db, { handle: 'lister' });
      ids = [];
      for (let i = 0; i < 5; i++) {
        const card = await createCard(lister, {
          title: `List ${i}`,
          tags: i % 2 ? ['Odd'] : ['even'],
        });
        ids.push(card.id);
      }
      // Two cards at the same instant: the id decides (descending).
      await db.query(`UPDATE cards SET created_at = '2030-01-01T00:00:00Z' WHERE id = ANY($1)`, [
        [ids[0], ids[1]],
      ]);
      const hidden = await createCard(lister, { title: 'Hidden' });
      await hideCard(hidden.id);
    }, E2E_TIMEOUT_MS);

    const expectedOrder = () => {
      const [a, b, ...rest] = ids as [string, string, ...string[]];
      return [...[a, b].sort().reverse(), ...rest.reverse()];
    };

    it('pages published cards newest first, then by id descending', async () => {
      const first = await http().get(`/cards?authorId=${lister.id}&pageSize=3`).expect(200);
      expect(Object.keys(first.body)).toEqual(['items', 'page', 'pageSize', 'total']);
      expect(first.body).toMatchObject({ page: 1, pageSize: 3, total: 5 });
      const second = await http().get(`/cards?authorId=${lister.id}&pageSize=3&page=2`).expect(200);
      expect(second.body).toMatchObject({ page: 2, pageSize: 3, total: 5 });
      const seen = [...first.body.items, ...second.body.items].map(
        (card: { id: string }) => card.id,
      );
      expect(seen).toEqual(expectedOrder());
      const beyond = await http().get(`/cards?authorId=${lister.id}&page=9`).expect(200);
      expect(beyond.text).toBe('{"items":[],"page":9,"pageSize":20,"total":5}');
    });

    it('defaults to page 1 of 20 across all authors', async () => {
      const res = await http().get('/cards').expect(200);
      expect(res.body.page).toBe(1);
      expect(res.body.pageSize).toBe(20);
      expect(res.body.items.length).toBe(Math.min(20, res.body.total));
      expect(res.body.items.some((card: { title: string }) => card.title === 'Hidden')).toBe(false);
    });

    it('filters by tag, normalised like stored tags', async () => {
      const res = await http().get(`/cards?authorId=${lister.id}&tag=%20ODD`).expect(200);
      expect(res.body.total).toBe(2);
      expect(res.body.items.map((card: { tags: string[] }) => card.tags)).toEqual([
        ['odd'],
        ['odd'],
      ]);
    });

    it.each([
      ['pageSize=101', ['pageSize must not be greater than 100']],
      ['page=0', ['page must not be less than 1']],
      [
        'page=abc',
        [
          'page must not be greater than 1000000',
          'page must not be less than 1',
          'page must be an integer number',
        ],
      ],
      ['page=1000001', ['page must not be greater than 1000000']],
      ['authorId=nope', ['authorId must be a UUID']],
      ['tag=' + 'x'.repeat(41), ['tag must be shorter than or equal to 40 characters']],
      ['sort=title', ['property sort should not exist']],
    ])('400 for ?%s', async (query, messages) => {
      const res = await http().get(`/cards?${query}`).expect(400);
      expect(res.body).toEqual({ message: messages, error: 'Bad Request', statusCode: 400 });
    });
  });

  describe('PATCH /cards/:id', () => {
    it('changes the given fields, replaces tags and moves updatedAt', async () => {
      const card = await createCard(ada, { tags: ['a', 'b'] });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const res = await http()
        .patch(`/cards/${card.id}`)
        .set('Authorization', ada.bearer)
        .send({ title: 'New title', tags: ['C', 'a'] })
        .expect(200);
      expect(res.body).toMatchObject({ title: 'New title', body: 'A body', tags: ['a', 'c'] });
      expect(res.body.createdAt).toBe(card.createdAt);
      expect(res.body.updatedAt > card.updatedAt).toBe(true);
      const unchanged = await http()
        .patch(`/cards/${card.id}`)
        .set('Authorization', ada.bearer)
        .send({ body: 'New body' })
        .expect(200);
      expect(unchanged.body).toMatchObject({
        title: 'New title',
        body: 'New body',
        tags: ['a', 'c'],
      });
      const cleared = await http()
        .patch(`/cards/${card.id}`)
        .set('Authorization', ada.bearer)
        .send({ tags: [] })
        .expect(200);
      expect(cleared.body.tags).toEqual([]);
    });

    it('403 for someone else', async () => {
      const card = await createCard(ada);
      const res = await http()
        .patch(`/cards/${card.id}`)
        .set('Authorization', bob.bearer)
        .send({ title: 'Mine now' })
        .expect(403);
      expect(res.text).toBe(
        '{"message":"Only the author can change this card","error":"Forbidden","statusCode":403}',
      );
    });

    it('404 for a hidden card, even for its author', async () => {
      const card = await createCard(ada);
      await hideCard(card.id);
      await http().patch(`/cards/${card.id}`).set('Authorization', ada.bearer).send({}).expect(404);
    });

    it('400 for a bad body, 401 without a token', async () => {
      const card = await createCard(ada);
      const res = await http()
        .patch(`/cards/${card.id}`)
        .set('Authorization', ada.bearer)
        .send({ title: '' })
        .expect(400);
      expect(res.body.message).toEqual(['title must be longer than or equal to 1 characters']);
      await http().patch(`/cards/${card.id}`).send({ title: 'x' }).expect(401);
    });
  });

  describe('DELETE /cards/:id', () => {
    it('403 for someone else, then 204 for the author with comments, likes and tag links gone', async () => {
      const card = await createCard(ada, { tags: ['gone'] });
      await http().put(`/cards/${card.id}/like`).set('Authorization', bob.bearer).expect(204);
      await http()
        .post(`/cards/${card.id}/comments`)
        .set('Authorization', bob.bearer)
        .send({ body: 'bye' })
        .expect(201);
      const forbidden = await http()
        .delete(`/cards/${card.id}`)
        .set('Authorization', bob.bearer)
        .expect(403);
      expect(forbidden.body.message).toBe('Only the author can change this card');

      const res = await http()
        .delete(`/cards/${card.id}`)
        .set('Authorization', ada.bearer)
        .expect(204);
      expect(res.text).toBe('');
      await http().get(`/cards/${card.id}`).expect(404);
      const { rows } = await db.query(
        `SELECT (SELECT count(*) FROM comments WHERE card_id = $1)::int AS comments,
                (SELECT count(*) FROM likes WHERE card_id = $1)::int AS likes,
                (SELECT count(*) FROM card_tags WHERE card_id = $1)::int AS tags`,
        [card.id],
      );
      expect(rows[0]).toEqual({ comments: 0, likes: 0, tags: 0 });
      await http().delete(`/cards/${card.id}`).set('Authorization', ada.bearer).expect(404);
    });

    it('403 for a banned author', async () => {
      const card = await createCard(ada);
      await http().delete(`/cards/${card.id}`).set('Authorization', banned.bearer).expect(403);
    });
  });

  describe('comments', () => {
    it('creates a CommentView in contract key order', async () => {
      const card = await createCard(ada);
      const res = await http()
        .post(`/cards/${card.id}/comments`)
        .set('Authorization', bob.bearer)
        .send({ body: 'First!' })
        .expect(201);
      expect(res.text).toBe(
        JSON.stringify({
          id: res.body.id,
          cardId: card.id,
          author: { id: bob.id, handle: 'bob', displayName: 'Bob' },
          body: 'First!',
          createdAt: res.body.createdAt,
        }),
      );
    });

    it('lists oldest first, then by id, with pagination', async () => {
      const card = await createCard(ada);
      const created: string[] = [];
      for (const body of ['one', 'two', 'three']) {
        const res = await http()
          .post(`/cards/${card.id}/comments`)
          .set('Authorization', ada.bearer)
          .send({ body })
          .expect(201);
        created.push(res.body.id);
      }
      await db.query(`UPDATE comments SET created_at = '2020-01-01T00:00:00Z' WHERE card_id = $1`, [
        card.id,
      ]);
      const page1 = await http().get(`/cards/${card.id}/comments?pageSize=2`).expect(200);
      const page2 = await http().get(`/cards/${card.id}/comments?pageSize=2&page=2`).expect(200);
      expect(page1.body).toMatchObject({ page: 1, pageSize: 2, total: 3 });
      expect(Object.keys(page1.body)).toEqual(['items', 'page', 'pageSize', 'total']);
      const ids = [...page1.body.items, ...page2.body.items].map((c: { id: string }) => c.id);
      expect(ids).toEqual([...created].sort());
    });

    it('404 for a missing or hidden card', async () => {
      const missing = randomUUID();
      const res = await http().get(`/cards/${missing}/comments`).expect(404);
      expect(res.body.message).toBe(`Card ${missing} not found`);
      const card = await createCard(ada);
      await hideCard(card.id);
      await http().get(`/cards/${card.id}/comments`).expect(404);
      await http()
        .post(`/cards/${card.id}/comments`)
        .set('Authorization', ada.bearer)
        .send({ body: 'hi' })
        .expect(404);
    });

    it('400 for a bad body or id, 401/403 for bad callers', async () => {
      const card = await createCard(ada);
      const empty = await http()
        .post(`/cards/${card.id}/comments`)
        .set('Authorization', ada.bearer)
        .send({ body: 'x'.repeat(2001) })
        .expect(400);
      expect(empty.body.message).toEqual(['body must be shorter than or equal to 2000 characters']);
      await http().get('/cards/nope/comments').expect(400);
      await http().get(`/cards/${card.id}/comments?pageSize=0`).expect(400);
      await http().post(`/cards/${card.id}/comments`).send({ body: 'hi' }).expect(401);
      await http()
        .post(`/cards/${card.id}/comments`)
        .set('Authorization', banned.bearer)
        .send({ body: 'hi' })
        .expect(403);
    });
  });

  describe('likes', () => {
    it('PUT and DELETE are idempotent', async () => {
      const card = await createCard(ada);
      const likeCount = async () =>
        (await http().get(`/cards/${card.id}`)).body.likeCount as number;
      const put = await http()
        .put(`/cards/${card.id}/like`)
        .set('Authorization', bob.bearer)
        .expect(204);
      expect(put.text).toBe('');
      await http().put(`/cards/${card.id}/like`).set('Authorization', bob.bearer).expect(204);
      expect(await likeCount()).toBe(1);
      await http().delete(`/cards/${card.id}/like`).set('Authorization', bob.bearer).expect(204);
      await http().delete(`/cards/${card.id}/like`).set('Authorization', bob.bearer).expect(204);
      expect(await likeCount()).toBe(0);
    });

    it('404 for a missing or hidden card; 401 and 403 for bad callers', async () => {
      await http().put(`/cards/${randomUUID()}/like`).set('Authorization', bob.bearer).expect(404);
      const card = await createCard(ada);
      await hideCard(card.id);
      await http().delete(`/cards/${card.id}/like`).set('Authorization', bob.bearer).expect(404);
      await http().put(`/cards/${card.id}/like`).expect(401);
      await http().put(`/cards/${card.id}/like`).set('Authorization', banned.bearer).expect(403);
    });
  });
});
