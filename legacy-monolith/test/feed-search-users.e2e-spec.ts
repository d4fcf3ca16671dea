import {
  bearer,
  E2E_TIMEOUT,
  createCard,
  insertUser,
  LegacyTestContext,
  startLegacyTestApp,
} from './legacy-test-app.js';

type Item = { title: string; likeCount: number };

describe('feed, search and users', () => {
  let t: LegacyTestContext;
  let reader: { id: string };
  let followed: { id: string };
  let stranger: { id: string };

  beforeAll(async () => {
    t = await startLegacyTestApp('feed');
    reader = await insertUser(t.db);
    followed = await insertUser(t.db);
    stranger = await insertUser(t.db);
  }, E2E_TIMEOUT);
  afterAll(() => t?.stop(), E2E_TIMEOUT);

  describe('users', () => {
    it(
      'follow and unfollow are idempotent and show in the profile',
      async () => {
        const follow = () =>
          t.http().put(`/users/${followed.id}/follow`).set('Authorization', bearer(reader.id));
        await follow().expect(204);
        await follow().expect(204);
        const profile = await t.http().get(`/users/${followed.id}`).expect(200);
        expect(profile.body).toMatchObject({
          id: followed.id,
          followerCount: 1,
          followingCount: 0,
        });
        await t
          .http()
          .delete(`/users/${stranger.id}/follow`)
          .set('Authorization', bearer(reader.id))
          .expect(204);
      },
      E2E_TIMEOUT,
    );

    it(
      'refuses following oneself, unknown users and anonymous callers',
      async () => {
        await t
          .http()
          .put(`/users/${reader.id}/follow`)
          .set('Authorization', bearer(reader.id))
          .expect(400);
        await t
          .http()
          .put('/users/00000000-0000-4000-8000-000000000000/follow')
          .set('Authorization', bearer(reader.id))
          .expect(404);
        await t.http().put(`/users/${followed.id}/follow`).expect(401);
        await t.http().get('/users/00000000-0000-4000-8000-000000000000').expect(404);
        await t.http().get('/users/nope').expect(400);
      },
      E2E_TIMEOUT,
    );
  });

  describe('GET /feed', () => {
    beforeAll(async () => {
      for (let i = 0; i < 3; i++) {
        await createCard(t, followed.id, { title: `Followed ${i}`, body: 'from a friend' });
      }
      await createCard(t, stranger.id, { title: 'Stranger', body: 'not in the feed' });
    }, E2E_TIMEOUT);

    it(
      'shows cards by followed users only, newest first, paginated',
      async () => {
        const response = await t
          .http()
          .get('/feed?pageSize=2')
          .set('Authorization', bearer(reader.id))
          .expect(200);
        expect(Object.keys(response.body)).toEqual(['items', 'page', 'pageSize', 'total']);
        expect(response.body.total).toBe(3);
        expect(response.body.items.map((c: Item) => c.title)).toEqual(['Followed 2', 'Followed 1']);
        expect(response.body.items[0]).toHaveProperty('likeCount', 0);
        const second = await t
          .http()
          .get('/feed?pageSize=2&page=2')
          .set('Authorization', bearer(reader.id))
          .expect(200);
        expect(second.body.items.map((c: Item) => c.title)).toEqual(['Followed 0']);
      },
      E2E_TIMEOUT,
    );

    it(
      'needs a token',
      async () => {
        await t.http().get('/feed').expect(401);
      },
      E2E_TIMEOUT,
    );
  });

  describe('GET /feed/popular', () => {
    it(
      'orders recent published cards by likes',
      async () => {
        const author = await insertUser(t.db);
        const likers = await Promise.all([1, 2, 3].map(() => insertUser(t.db)));
        const quiet = await createCard(t, author.id, { title: 'Popular quiet', body: 'b' });
        const loud = await createCard(t, author.id, { title: 'Popular loud', body: 'b' });
        const middling = await createCard(t, author.id, { title: 'Popular middling', body: 'b' });
        for (const liker of likers) {
          await t
            .http()
            .put(`/cards/${loud.id}/like`)
            .set('Authorization', bearer(liker.id))
            .expect(204);
        }
        await t
          .http()
          .put(`/cards/${middling.id}/like`)
          .set('Authorization', bearer(likers[0].id))
          .expect(204);
        // An old card with many likes is outside the window.
        await t.db.query(`UPDATE cards SET created_at = now() - interval '30 days' WHERE id = $1`, [
          quiet.id,
        ]);
        const response = await t.http().get('/feed/popular?days=7&pageSize=100').expect(200);
        const titles = response.body.items.map((c: Item) => c.title);
        expect(titles.slice(0, 2)).toEqual(['Popular loud', 'Popular middling']);
        expect(titles).not.toContain('Popular quiet');
        expect(response.body.items[0].likeCount).toBe(3);
        await t.http().get('/feed/popular?days=0').expect(400);
      },
      E2E_TIMEOUT,
    );
  });

  describe('GET /search', () => {
    beforeAll(async () => {
      const author = await insertUser(t.db);
      await createCard(t, author.id, {
        title: 'Kafka connectors explained',
        body: 'Debezium streams changes.',
      });
      await createCard(t, author.id, {
        title: 'A note on queues',
        body: 'Sometimes kafka is overkill; a table works.',
      });
      await createCard(t, author.id, { title: 'Unrelated', body: 'Nothing to see here.' });
    }, E2E_TIMEOUT);

    it(
      'finds cards by word, title matches ranked first, with stemming',
      async () => {
        const response = await t.http().get('/search?q=kafka').expect(200);
        expect(Object.keys(response.body)).toEqual(['items', 'page', 'pageSize', 'total']);
        expect(response.body.total).toBe(2);
        const [first, second] = response.body.items;
        expect(Object.keys(first)).toEqual(['card', 'rank']);
        expect(first.card.title).toBe('Kafka connectors explained');
        expect(second.card.title).toBe('A note on queues');
        expect(first.rank).toBeGreaterThan(second.rank);
        const stemmed = await t.http().get('/search?q=connector').expect(200);
        expect(stemmed.body.items.map((hit: { card: Item }) => hit.card.title)).toEqual([
          'Kafka connectors explained',
        ]);
      },
      E2E_TIMEOUT,
    );

    it(
      'paginates and hides hidden cards',
      async () => {
        const page = await t.http().get('/search?q=kafka&pageSize=1&page=2').expect(200);
        expect(page.body).toMatchObject({ page: 2, pageSize: 1, total: 2 });
        expect(page.body.items).toHaveLength(1);
        await t.db.query(`UPDATE cards SET status = 'hidden' WHERE title = 'A note on queues'`);
        const after = await t.http().get('/search?q=kafka').expect(200);
        expect(after.body.total).toBe(1);
      },
      E2E_TIMEOUT,
    );

    it(
      '400 when q is missing or empty',
      async () => {
        const missing = await t.http().get('/search').expect(400);
        expect(missing.body.message).toEqual([
          'q must be shorter than or equal to 200 characters',
          'q should not be empty',
          'q must be a string',
        ]);
        const empty = await t.http().get('/search?q=').expect(400);
        expect(empty.body.message).toEqual(['q should not be empty']);
      },
      E2E_TIMEOUT,
    );
  });
});
