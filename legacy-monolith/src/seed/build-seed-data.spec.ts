import { buildSeedData, SEED_BASE_DATE } from './build-seed-data.js';

describe('buildSeedData', () => {
  const counts = { users: 50, cards: 300 };

  it('is a pure function of the seed', () => {
    expect(buildSeedData(3, counts)).toEqual(buildSeedData(3, counts));
    expect(buildSeedData(3, counts).users[5]).not.toEqual(buildSeedData(4, counts).users[5]);
  });

  it('keeps the invariants the schema enforces', () => {
    const data = buildSeedData(11, counts);
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

  it('dates everything before the fixed base date, children after their parents', () => {
    const data = buildSeedData(5, counts);
    const base = SEED_BASE_DATE.getTime();
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
    const data = buildSeedData(42, { users: 300, cards: 1500 });
    const hidden = data.cards.filter((card) => card.status === 'hidden').length;
    const banned = data.users.filter((user) => user.banned_at).length;
    expect(hidden).toBeGreaterThan(0);
    expect(banned).toBe(3);
    expect(data.moderationActions).toHaveLength(hidden + banned);
  });
});
