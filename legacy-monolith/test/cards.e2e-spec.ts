import {
  bearer,
  E2E_TIMEOUT,
  createCard,
  insertUser,
  LegacyTestContext,
  startLegacyTestApp,
} from './legacy-test-app.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describe('cards endpoints (contract: docs/contracts/cards-api.md)', () => {
  let t: LegacyTestContext;
  let author: { id: string; handle: string; displayName: string };
  let other: { id: string; handle: string; displayName: string };

  beforeAll(async () => {
    t = await startLegacyTestApp('cards');
    author = await insertUser(t.db);
    other = await insertUser(t.db);
  }, E2E_TIMEOUT);
  afterAll(() => t?.stop(), E2E_TIMEOUT);

  describe('POST /cards', () => {
    it(
      'creates a card: 201 CardView in contract key order, tags normalised and sorted',
      async () => {
        const response = await t
          .http()
          .post('/cards')
          .set('Authorization', bearer(author.id))
          .send({
            title: 'Strangling a monolith',
            body: 'One route at a time.',
            tags: [' Nest', 'cdc', 'NEST'],
          })
          .expect(201);
        expect(Object.keys(response.body)).toEqual([
          'id',
          'title',
          'body',
          'author',
          'tags',
          'likeCount',
          'commentCount',
          'createdAt',
          'updatedAt',
        ]);
        expect(response.body).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          title: 'Strangling a monolith',
          body: 'One route at a time.',
          author: { id: author.id, handle: author.handle, displayName: author.displayName },
          tags: ['cdc', 'nest'],
          likeCount: 0,
          commentCount: 0,
          createdAt: expect.stringMatching(ISO),
          updatedAt: response.body.createdAt,
        });
        expect(Object.keys(response.body.author)).toEqual(['id', 'handle', 'displayName']);
      },
      E2E_TIMEOUT,
    );

    it(
      '400 with field-level messages, in decorator order',
      async () => {
        const response = await t
          .http()
          .post('/cards')
          .set('Authorization', bearer(author.id))
          .send({ title: 'x'.repeat(201), body: 'ok' })
          .expect(400);
        expect(response.text).toBe(
          '{"message":["title must be shorter than or equal to 200 characters"],"error":"Bad Request","statusCode":400}',
        );
        const many = await t
          .http()
          .post('/cards')
          .set('Authorization', bearer(author.id))
          .send({ title: 7, tags: Array.from({ length: 11 }, (_, i) => `t${i}`), extra: true })
          .expect(400);
        expect(many.body.message).toEqual([
          'property extra should not exist',
          'title must be longer than or equal to 1 and shorter than or equal to 200 characters',
          'title must be a string',
          'body must be longer than or equal to 1 characters',
          'body must be a string',
          'tags must contain no more than 10 elements',
        ]);
      },
      E2E_TIMEOUT,
    );

    it(
      '401 without or with a forged token, in the documented shape',
      async () => {
        const none = await t.http().post('/cards').send({ title: 'a', body: 'b' }).expect(401);
        expect(none.text).toBe('{"statusCode":401,"message":"Unauthorized"}');
        await t
          .http()
          .post('/cards')
          .set('Authorization', `Bearer ${author.id}.deadbeef`)
          .send({ title: 'a', body: 'b' })
          .expect(401);
        await t
          .http()
          .post('/cards')
          .set('Authorization', bearer(MISSING_ID))
          .send({ title: 'a', body: 'b' })
          .expect(401);
      },
      E2E_TIMEOUT,
    );

    it(
      '403 for a banned user',
      async () => {
        const banned = await insertUser(t.db, { bannedAt: new Date() });
        const response = await t
          .http()
          .post('/cards')
          .set('Authorization', bearer(banned.id))
          .send({ title: 'a', body: 'b' })
          .expect(403);
        expect(response.text).toBe(
          '{"message":"User is banned","error":"Forbidden","statusCode":403}',
        );
      },
      E2E_TIMEOUT,
    );
  });

  describe('GET /cards and /cards/:id', () => {
    let lister: { id: string };
    const created: string[] = [];

    beforeAll(async () => {
      lister = await insertUser(t.db);
      for (let i = 0; i < 5; i++) {
        const card = await createCard(t, lister.id, {
          title: `Listed ${i}`,
          body: 'body',
          tags: i % 2 === 0 ? ['even'] : ['odd'],
        });
        created.push(card.id);
      }
    }, E2E_TIMEOUT);

    it(
      'paginates newest first with total',
      async () => {
        const first = await t.http().get(`/cards?authorId=${lister.id}&pageSize=2`).expect(200);
        expect(Object.keys(first.body)).toEqual(['items', 'page', 'pageSize', 'total']);
        expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: 5 });
        expect(first.body.items.map((c: { title: string }) => c.title)).toEqual([
          'Listed 4',
          'Listed 3',
        ]);
        const third = await t
          .http()
          .get(`/cards?authorId=${lister.id}&pageSize=2&page=3`)
          .expect(200);
        expect(third.body.items.map((c: { title: string }) => c.title)).toEqual(['Listed 0']);
        const beyond = await t.http().get(`/cards?authorId=${lister.id}&page=9`).expect(200);
        expect(beyond.body).toEqual({ items: [], page: 9, pageSize: 20, total: 5 });
      },
      E2E_TIMEOUT,
    );

    it(
      'filters by tag (case-insensitively)',
      async () => {
        const response = await t.http().get(`/cards?authorId=${lister.id}&tag=EVEN`).expect(200);
        expect(response.body.total).toBe(3);
        expect(response.body.items.every((c: { tags: string[] }) => c.tags.includes('even'))).toBe(
          true,
        );
      },
      E2E_TIMEOUT,
    );

    it(
      '400 for bad pagination and filters',
      async () => {
        const response = await t.http().get('/cards?page=0&pageSize=101&authorId=nope').expect(400);
        expect(response.body).toEqual({
          // class-validator reports the subclass's own fields before the inherited pagination
          message: [
            'authorId must be a UUID',
            'page must not be less than 1',
            'pageSize must not be greater than 100',
          ],
          error: 'Bad Request',
          statusCode: 400,
        });
        await t.http().get('/cards?page=abc').expect(400);
        await t.http().get('/cards?tag=').expect(400);
        await t.http().get('/cards?unknown=1').expect(400);
      },
      E2E_TIMEOUT,
    );

    it(
      'gets one card; 404 for a missing one; 400 for a non-UUID',
      async () => {
        const one = await t.http().get(`/cards/${created[0]}`).expect(200);
        expect(one.body.title).toBe('Listed 0');
        const missing = await t.http().get(`/cards/${MISSING_ID}`).expect(404);
        expect(missing.text).toBe(
          `{"message":"Card ${MISSING_ID} not found","error":"Not Found","statusCode":404}`,
        );
        const bad = await t.http().get('/cards/not-a-uuid').expect(400);
        expect(bad.text).toBe(
          '{"message":"Validation failed (uuid is expected)","error":"Bad Request","statusCode":400}',
        );
      },
      E2E_TIMEOUT,
    );

    it(
      'treats hidden cards as missing',
      async () => {
        await t.db.query(`UPDATE cards SET status = 'hidden' WHERE id = $1`, [created[1]]);
        await t.http().get(`/cards/${created[1]}`).expect(404);
        await t.http().get(`/cards/${created[1]}/comments`).expect(404);
        const list = await t.http().get(`/cards?authorId=${lister.id}`).expect(200);
        expect(list.body.total).toBe(4);
        await t.db.query(`UPDATE cards SET status = 'published' WHERE id = $1`, [created[1]]);
      },
      E2E_TIMEOUT,
    );
  });

  describe('PATCH /cards/:id', () => {
    it(
      'lets the author change fields and replace tags',
      async () => {
        const card = await createCard(t, author.id, {
          title: 'Before',
          body: 'Body',
          tags: ['a', 'b'],
        });
        const response = await t
          .http()
          .patch(`/cards/${card.id}`)
          .set('Authorization', bearer(author.id))
          .send({ title: 'After', tags: ['Z', 'c'] })
          .expect(200);
        expect(response.body).toMatchObject({ title: 'After', body: 'Body', tags: ['c', 'z'] });
        expect(new Date(response.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
          new Date(response.body.createdAt as string).getTime(),
        );
        const untouchedTags = await t
          .http()
          .patch(`/cards/${card.id}`)
          .set('Authorization', bearer(author.id))
          .send({ body: 'New body' })
          .expect(200);
        expect(untouchedTags.body.tags).toEqual(['c', 'z']);
        const nulls = await t
          .http()
          .patch(`/cards/${card.id}`)
          .set('Authorization', bearer(author.id))
          .send({ title: null, tags: null })
          .expect(200);
        expect(nulls.body).toMatchObject({ title: 'After', body: 'New body', tags: ['c', 'z'] });
      },
      E2E_TIMEOUT,
    );

    it(
      '403 for someone else, 404 when missing, 400 for a bad body, 401 without token',
      async () => {
        const card = await createCard(t, author.id, { title: 'Mine', body: 'Body' });
        const forbidden = await t
          .http()
          .patch(`/cards/${card.id}`)
          .set('Authorization', bearer(other.id))
          .send({ title: 'Theirs' })
          .expect(403);
        expect(forbidden.text).toBe(
          '{"message":"Only the author can change this card","error":"Forbidden","statusCode":403}',
        );
        await t
          .http()
          .patch(`/cards/${MISSING_ID}`)
          .set('Authorization', bearer(author.id))
          .send({ title: 'x' })
          .expect(404);
        const bad = await t
          .http()
          .patch(`/cards/${card.id}`)
          .set('Authorization', bearer(author.id))
          .send({ title: '' })
          .expect(400);
        expect(bad.body.message).toEqual(['title must be longer than or equal to 1 characters']);
        await t.http().patch(`/cards/${card.id}`).send({ title: 'x' }).expect(401);
      },
      E2E_TIMEOUT,
    );
  });

  describe('DELETE /cards/:id', () => {
    it(
      'deletes the card with its comments, likes and tag links',
      async () => {
        const card = await createCard(t, author.id, {
          title: 'Doomed',
          body: 'Body',
          tags: ['gone'],
        });
        await t
          .http()
          .put(`/cards/${card.id}/like`)
          .set('Authorization', bearer(other.id))
          .expect(204);
        await t
          .http()
          .post(`/cards/${card.id}/comments`)
          .set('Authorization', bearer(other.id))
          .send({ body: 'Nice' })
          .expect(201);
        await t
          .http()
          .delete(`/cards/${card.id}`)
          .set('Authorization', bearer(other.id))
          .expect(403);
        const deleted = await t
          .http()
          .delete(`/cards/${card.id}`)
          .set('Authorization', bearer(author.id))
          .expect(204);
        expect(deleted.text).toBe('');
        await t.http().get(`/cards/${card.id}`).expect(404);
        const left = await t.db.query(
          `SELECT (SELECT count(*) FROM comments WHERE card_id = $1)::int
              + (SELECT count(*) FROM likes WHERE card_id = $1)::int
              + (SELECT count(*) FROM card_tags WHERE card_id = $1)::int AS n`,
          [card.id],
        );
        expect(left.rows[0].n).toBe(0);
        await t
          .http()
          .delete(`/cards/${card.id}`)
          .set('Authorization', bearer(author.id))
          .expect(404);
      },
      E2E_TIMEOUT,
    );
  });

  describe('comments', () => {
    it(
      'adds comments (201 CommentView) and lists them oldest first, paginated',
      async () => {
        const card = await createCard(t, author.id, { title: 'Discuss', body: 'Body' });
        const first = await t
          .http()
          .post(`/cards/${card.id}/comments`)
          .set('Authorization', bearer(other.id))
          .send({ body: 'First!' })
          .expect(201);
        expect(Object.keys(first.body)).toEqual(['id', 'cardId', 'author', 'body', 'createdAt']);
        expect(first.body).toEqual({
          id: expect.any(String),
          cardId: card.id,
          author: { id: other.id, handle: other.handle, displayName: other.displayName },
          body: 'First!',
          createdAt: expect.stringMatching(ISO),
        });
        for (const body of ['Second', 'Third']) {
          await t
            .http()
            .post(`/cards/${card.id}/comments`)
            .set('Authorization', bearer(author.id))
            .send({ body })
            .expect(201);
        }
        const page = await t.http().get(`/cards/${card.id}/comments?pageSize=2`).expect(200);
        expect(page.body).toMatchObject({ page: 1, pageSize: 2, total: 3 });
        expect(page.body.items.map((c: { body: string }) => c.body)).toEqual(['First!', 'Second']);
        const view = await t.http().get(`/cards/${card.id}`).expect(200);
        expect(view.body.commentCount).toBe(3);
      },
      E2E_TIMEOUT,
    );

    it(
      'validates, authenticates and 404s',
      async () => {
        const card = await createCard(t, author.id, { title: 'Quiet', body: 'Body' });
        const bad = await t
          .http()
          .post(`/cards/${card.id}/comments`)
          .set('Authorization', bearer(other.id))
          .send({ body: 'x'.repeat(2001) })
          .expect(400);
        expect(bad.body.message).toEqual(['body must be shorter than or equal to 2000 characters']);
        await t.http().post(`/cards/${card.id}/comments`).send({ body: 'hi' }).expect(401);
        await t
          .http()
          .post(`/cards/${MISSING_ID}/comments`)
          .set('Authorization', bearer(other.id))
          .send({ body: 'hi' })
          .expect(404);
        await t.http().get(`/cards/${MISSING_ID}/comments`).expect(404);
      },
      E2E_TIMEOUT,
    );
  });

  describe('likes', () => {
    it(
      'PUT and DELETE are idempotent 204s reflected in likeCount',
      async () => {
        const card = await createCard(t, author.id, { title: 'Likeable', body: 'Body' });
        const like = () =>
          t.http().put(`/cards/${card.id}/like`).set('Authorization', bearer(other.id));
        const unlike = () =>
          t.http().delete(`/cards/${card.id}/like`).set('Authorization', bearer(other.id));
        await like().expect(204);
        await like().expect(204);
        expect((await t.http().get(`/cards/${card.id}`)).body.likeCount).toBe(1);
        await unlike().expect(204);
        await unlike().expect(204);
        expect((await t.http().get(`/cards/${card.id}`)).body.likeCount).toBe(0);
        await t.http().put(`/cards/${card.id}/like`).expect(401);
        await t
          .http()
          .put(`/cards/${MISSING_ID}/like`)
          .set('Authorization', bearer(other.id))
          .expect(404);
      },
      E2E_TIMEOUT,
    );
  });

  it(
    'GET /health',
    async () => {
      const response = await t.http().get('/health').expect(200);
      expect(response.text).toBe('{"status":"ok"}');
    },
    E2E_TIMEOUT,
  );
});
