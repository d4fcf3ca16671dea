import { buildSeedData } from './build-seed-data.js';

const DAY = 24 * 60 * 60 * 1000;

describe('buildSeedData', () => {
  const counts = { users: 50, cards: 300 };
  const now = new Date('2031-06-15T12:00:00.000Z');

  it('is a pure function of the seed', () => {
    expect(buildSeedData(3, counts, now)).toEqual(buildSeedData(3, counts, new Date(now)));
    expect(buildSeedData(3, counts, now).users[5]).not.toEqual(
      buildSeedData(4, counts, now).users[5],
    );
  });

  it('keeps the invariants the schema enforces', () => {
    const data = buildSeedData(11, counts, now);
    expect(data.users.filter((user) => user.role === 'admin')).toHaveLength(2);
    expect(new Set(data.users.map((user) => user.handle)).size).toBe(counts.users);
    expect(new Set(data.users.map((user) => user.email)).size).toBe(counts.users);
    expect(data.cards).toHaveLength(counts.cards);
    expect(data.follows.every((f) => f.follower_id !== f.followee_id)).toBe(true);
    const pairs = (rows: { a: string; b: string }[]) =>
      new Set(rows.map((r) => `${r.a}/${r.b}`)).size;
    expect(pairs(data.follows.map((f) => ({ a: f.follower_id, b: f.followee_id })))).toBe(
      data.follows.length,
    );
    expect(pairs(data.likes.map((l) => ({ a: l.user_id, b: l.card_id })))).toBe(data.likes.length);
    expect(pairs(data.cardTags.map((t) => ({ a: t.card_id, b: t.tag_id })))).toBe(
      data.cardTags.length,
    );
  });

  it('dates everything before `now`, children after their parents', () => {
    const data = buildSeedData(5, counts, now);
    const base = now.getTime();
    const cardsById = new Map(data.cards.map((card) => [card.id, card]));
    for (const card of data.cards) {
      expect(card.created_at.getTime()).toBeLessThanOrEqual(base);
      expect(card.updated_at.getTime()).toBeGreaterThanOrEqual(card.created_at.getTime());
    }
    for (const like of data.likes) {
      expect(like.created_at.getTime()).toBeGreaterThanOrEqual(
        cardsById.get(like.card_id)!.created_at.getTime(),
      );
    }
  });

  it('logs a moderation action for every hidden card and banned user', () => {
    const data = buildSeedData(42, { users: 300, cards: 1500 }, now);
    const hidden = data.cards.filter((card) => card.status === 'hidden').length;
    const banned = data.users.filter((user) => user.banned_at).length;
    expect(hidden).toBeGreaterThan(0);
    expect(banned).toBe(3);
    expect(data.moderationActions).toHaveLength(hidden + banned);
  });

  it('dates some published cards within the last week of `now`, whenever it is seeded', () => {
    // GET /feed/popular lists the last 7 days: it must not be empty on the day of seeding.
    for (const when of [now, new Date('2027-02-01T00:00:00.000Z')]) {
      const data = buildSeedData(42, { users: 300, cards: 3000 }, when);
      const lastWeek = data.cards.filter(
        (card) =>
          card.status === 'published' && card.created_at.getTime() >= when.getTime() - 7 * DAY,
      );
      expect(lastWeek.length).toBeGreaterThanOrEqual(10);
      expect(data.likes.some((like) => lastWeek.some((card) => card.id === like.card_id))).toBe(
        true,
      );
    }
  });
});
