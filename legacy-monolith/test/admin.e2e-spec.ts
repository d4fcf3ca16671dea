import {
  bearer,
  E2E_TIMEOUT,
  createCard,
  insertUser,
  LegacyTestContext,
  startLegacyTestApp,
} from './legacy-test-app.js';

describe('admin', () => {
  let t: LegacyTestContext;
  let admin: { id: string };
  let member: { id: string };

  beforeAll(async () => {
    t = await startLegacyTestApp('admin');
    admin = await insertUser(t.db, { role: 'admin' });
    member = await insertUser(t.db);
  }, E2E_TIMEOUT);
  afterAll(() => t?.stop(), E2E_TIMEOUT);

  const asAdmin = (method: 'get' | 'post', path: string) =>
    t.http()[method](path).set('Authorization', bearer(admin.id));

  it(
    '401 without a token, 403 for members',
    async () => {
      await t.http().get('/admin/stats').expect(401);
      const forbidden = await t
        .http()
        .get('/admin/stats')
        .set('Authorization', bearer(member.id))
        .expect(403);
      expect(forbidden.body).toEqual({
        message: 'Admin role required',
        error: 'Forbidden',
        statusCode: 403,
      });
    },
    E2E_TIMEOUT,
  );

  it(
    'hide makes a card 404 publicly; unhide brings it back; both are logged',
    async () => {
      const card = await createCard(t, member.id, { title: 'Buy cheap watches', body: 'spam' });
      const hidden = await asAdmin('post', `/admin/cards/${card.id}/hide`)
        .send({ reason: 'spam' })
        .expect(200);
      expect(hidden.body).toMatchObject({
        actorId: admin.id,
        action: 'hide_card',
        targetType: 'card',
        targetId: card.id,
        reason: 'spam',
      });
      await t.http().get(`/cards/${card.id}`).expect(404);
      await t
        .http()
        .post(`/cards/${card.id}/comments`)
        .set('Authorization', bearer(member.id))
        .send({ body: 'hello?' })
        .expect(404);
      await asAdmin('post', `/admin/cards/${card.id}/unhide`).send({}).expect(200);
      await t.http().get(`/cards/${card.id}`).expect(200);
    },
    E2E_TIMEOUT,
  );

  it(
    'validates the reason and 404s on unknown targets',
    async () => {
      const card = await createCard(t, member.id, { title: 'Fine', body: 'fine' });
      const bad = await asAdmin('post', `/admin/cards/${card.id}/hide`).send({}).expect(400);
      expect(bad.body.message).toEqual([
        'reason must be longer than or equal to 1 characters',
        'reason must be a string',
      ]);
      await asAdmin('post', '/admin/cards/00000000-0000-4000-8000-000000000000/hide')
        .send({ reason: 'x' })
        .expect(404);
      await asAdmin('post', '/admin/users/00000000-0000-4000-8000-000000000000/ban')
        .send({ reason: 'x' })
        .expect(404);
    },
    E2E_TIMEOUT,
  );

  it(
    'ban turns every write of the user into 403; unban restores it',
    async () => {
      const troll = await insertUser(t.db);
      await asAdmin('post', `/admin/users/${troll.id}/ban`).send({ reason: 'abuse' }).expect(200);
      const refused = await t
        .http()
        .post('/cards')
        .set('Authorization', bearer(troll.id))
        .send({ title: 't', body: 'b' })
        .expect(403);
      expect(refused.body).toEqual({
        message: 'User is banned',
        error: 'Forbidden',
        statusCode: 403,
      });
      const profile = await t.http().get(`/users/${troll.id}`).expect(200);
      expect(profile.body.banned).toBe(true);
      await asAdmin('post', `/admin/users/${troll.id}/unban`).send({}).expect(200);
      await t
        .http()
        .post('/cards')
        .set('Authorization', bearer(troll.id))
        .send({ title: 't', body: 'b' })
        .expect(201);
      await asAdmin('post', `/admin/users/${admin.id}/ban`).send({ reason: 'oops' }).expect(400);
    },
    E2E_TIMEOUT,
  );

  it(
    'stats count rows across every table',
    async () => {
      const expected = await t.db.query(
        `SELECT (SELECT count(*) FROM users)::int AS users,
              (SELECT count(*) FROM cards)::int AS cards,
              (SELECT count(*) FROM cards WHERE status = 'hidden')::int AS hidden`,
      );
      const response = await asAdmin('get', '/admin/stats').expect(200);
      expect(Object.keys(response.body)).toEqual([
        'users',
        'bannedUsers',
        'cards',
        'hiddenCards',
        'comments',
        'likes',
        'follows',
      ]);
      expect(response.body).toMatchObject({
        users: expected.rows[0].users,
        cards: expected.rows[0].cards,
        hiddenCards: expected.rows[0].hidden,
        bannedUsers: 0,
      });
    },
    E2E_TIMEOUT,
  );

  it(
    'the moderation log lists every action, newest first, paginated',
    async () => {
      const response = await asAdmin('get', '/admin/moderation-log?pageSize=2').expect(200);
      expect(response.body).toMatchObject({ page: 1, pageSize: 2, total: 4 });
      expect(response.body.items.map((a: { action: string }) => a.action)).toEqual([
        'unban_user',
        'ban_user',
      ]);
      const rows = await t.db.query('SELECT count(*)::int AS n FROM moderation_actions');
      expect(rows.rows[0].n).toBe(4);
    },
    E2E_TIMEOUT,
  );
});
