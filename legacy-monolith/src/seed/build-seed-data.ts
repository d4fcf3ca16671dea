import { base, en, Faker } from '@faker-js/faker';
import { SeededRandom } from './seeded-random.js';

const DAY = 24 * 60 * 60 * 1000;

export const SEED_TAG_NAMES = [
  'architecture',
  'aws',
  'career',
  'caching',
  'cdc',
  'ci',
  'cqrs',
  'database',
  'ddd',
  'debugging',
  'devops',
  'docker',
  'events',
  'frontend',
  'go',
  'graphql',
  'http',
  'java',
  'javascript',
  'kafka',
  'kubernetes',
  'legacy',
  'linux',
  'microservices',
  'migration',
  'monitoring',
  'nestjs',
  'node',
  'observability',
  'performance',
  'postgres',
  'python',
  'react',
  'refactoring',
  'rust',
  'security',
  'sql',
  'strangler-fig',
  'testing',
  'typeorm',
  'typescript',
  'ux',
] as const;

const HIDE_REASONS = [
  'spam',
  'off-topic advertising',
  'harassment',
  'duplicate post',
  'phishing link',
];
const BAN_REASONS = ['repeated spam', 'abusive comments', 'impersonation', 'bot account'];

export interface SeedUserRow {
  id: string;
  handle: string;
  display_name: string;
  email: string;
  role: 'member' | 'admin';
  api_token_issued_at: Date | null;
  banned_at: Date | null;
  ban_reason: string | null;
  created_at: Date;
}

export interface SeedCardRow {
  id: string;
  author_id: string;
  title: string;
  body: string;
  status: 'published' | 'hidden';
  hidden_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SeedData {
  users: SeedUserRow[];
  follows: { follower_id: string; followee_id: string; created_at: Date }[];
  tags: { id: string; name: string }[];
  cards: SeedCardRow[];
  cardTags: { card_id: string; tag_id: string }[];
  likes: { user_id: string; card_id: string; created_at: Date }[];
  comments: { id: string; card_id: string; author_id: string; body: string; created_at: Date }[];
  moderationActions: {
    id: string;
    actor_id: string;
    action: 'hide_card' | 'ban_user';
    target_type: 'card' | 'user';
    target_id: string;
    reason: string;
    created_at: Date;
  }[];
}

/**
 * Generates the whole example dataset in memory, deterministically from `seed` and `now`: a
 * seeded faker for text and ids, a seeded PRNG for structure. Two admins come first; a few users
 * are banned and a few cards hidden, each with its moderation log entry.
 *
 * Every row is dated in the two years before `now`, so time-windowed reads (the popular feed's
 * last seven days) find rows on the day the data is seeded, whatever that day is; the same seed
 * and `now` give the same rows.
 */
export function buildSeedData(
  seed: number,
  counts: { users: number; cards: number },
  now: Date,
): SeedData {
  if (counts.users < 3) throw new Error('the seed needs at least 3 users (2 admins and a member)');
  const faker = new Faker({ locale: [en, base] });
  faker.seed(seed);
  const random = new SeededRandom(seed);

  const users = buildUsers(faker, random, counts.users, now);
  const admins = users.filter((user) => user.role === 'admin');
  const tags = SEED_TAG_NAMES.map((name) => ({ id: faker.string.uuid(), name }));
  const cards: SeedCardRow[] = [];
  const cardTags: SeedData['cardTags'] = [];
  const likes: SeedData['likes'] = [];
  const comments: SeedData['comments'] = [];
  const moderationActions: SeedData['moderationActions'] = [];

  for (let index = 0; index < counts.cards; index++) {
    const author = users[random.skewedIndex(users.length, 1.6)];
    const createdAt = random.dateBetween(author.created_at, now);
    const edited = random.chance(0.2);
    const card: SeedCardRow = {
      id: faker.string.uuid(),
      author_id: author.id,
      title: cardTitle(faker),
      body: cardBody(faker, random),
      status: 'published',
      hidden_reason: null,
      created_at: createdAt,
      updated_at: edited ? random.dateBetween(createdAt, now) : createdAt,
    };
    if (random.chance(0.02)) {
      card.status = 'hidden';
      card.hidden_reason = random.pick(HIDE_REASONS);
      moderationActions.push({
        id: faker.string.uuid(),
        actor_id: random.pick(admins).id,
        action: 'hide_card',
        target_type: 'card',
        target_id: card.id,
        reason: card.hidden_reason,
        created_at: random.dateBetween(createdAt, now),
      });
    }
    cards.push(card);

    const tagCount = random.int(0, 4);
    const chosen = new Set<number>();
    for (let t = 0; t < tagCount; t++) chosen.add(random.skewedIndex(tags.length, 1.5));
    for (const tagIndex of [...chosen].sort((a, b) => a - b)) {
      cardTags.push({ card_id: card.id, tag_id: tags[tagIndex].id });
    }

    // Popularity: most cards get a handful of likes, a few get many.
    const likeCount = Math.floor(Math.pow(random.next(), 3) * 40);
    const likers = new Set<number>();
    for (let l = 0; l < likeCount; l++) likers.add(random.int(0, users.length - 1));
    for (const likerIndex of [...likers].sort((a, b) => a - b)) {
      const liker = users[likerIndex];
      if (liker.id === author.id) continue;
      likes.push({
        user_id: liker.id,
        card_id: card.id,
        created_at: random.dateBetween(maxDate(createdAt, liker.created_at), now),
      });
    }

    const commentCount = Math.floor(Math.pow(random.next(), 2) * 6);
    for (let c = 0; c < commentCount; c++) {
      const commenter = random.pick(users);
      comments.push({
        id: faker.string.uuid(),
        card_id: card.id,
        author_id: commenter.id,
        body: faker.lorem.sentences(random.int(1, 3)),
        created_at: random.dateBetween(maxDate(createdAt, commenter.created_at), now),
      });
    }
  }

  const follows: SeedData['follows'] = [];
  for (const follower of users) {
    const wanted = random.int(0, 25);
    const followees = new Set<number>();
    for (let f = 0; f < wanted; f++) followees.add(random.skewedIndex(users.length, 1.8));
    for (const followeeIndex of [...followees].sort((a, b) => a - b)) {
      const followee = users[followeeIndex];
      if (followee.id === follower.id) continue;
      follows.push({
        follower_id: follower.id,
        followee_id: followee.id,
        created_at: random.dateBetween(maxDate(follower.created_at, followee.created_at), now),
      });
    }
  }

  for (const user of users) {
    if (!user.banned_at || !user.ban_reason) continue;
    moderationActions.push({
      id: faker.string.uuid(),
      actor_id: random.pick(admins).id,
      action: 'ban_user',
      target_type: 'user',
      target_id: user.id,
      reason: user.ban_reason,
      created_at: user.banned_at,
    });
  }

  return { users, follows, tags, cards, cardTags, likes, comments, moderationActions };
}

function buildUsers(faker: Faker, random: SeededRandom, count: number, now: Date): SeedUserRow[] {
  const taken = new Set<string>();
  const bannedEvery = count >= 20 ? Math.floor(count / Math.max(1, Math.round(count * 0.01))) : 0;
  return Array.from({ length: count }, (_, index) => {
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    const isAdmin = index < 2;
    let handle = isAdmin ? `admin_${firstName}` : faker.internet.username({ firstName, lastName });
    handle =
      handle
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '')
        .slice(0, 30) || 'user';
    if (taken.has(handle)) handle = `${handle.slice(0, 30)}_${index}`;
    taken.add(handle);
    const createdAt = new Date(now.getTime() - DAY * 730 + Math.floor(random.next() * DAY * 700));
    const banned = !isAdmin && bannedEvery > 0 && index % bannedEvery === bannedEvery - 1;
    return {
      id: faker.string.uuid(),
      handle,
      display_name: `${firstName} ${lastName}`,
      email: `${handle}@example.com`,
      role: isAdmin ? 'admin' : 'member',
      api_token_issued_at: random.chance(0.6) ? random.dateBetween(createdAt, now) : null,
      banned_at: banned ? random.dateBetween(createdAt, now) : null,
      ban_reason: banned ? random.pick(BAN_REASONS) : null,
      created_at: createdAt,
    };
  });
}

function cardTitle(faker: Faker): string {
  const title = `${faker.hacker.ingverb()} the ${faker.hacker.adjective()} ${faker.hacker.noun()}`;
  return (title.charAt(0).toUpperCase() + title.slice(1)).slice(0, 200);
}

function cardBody(faker: Faker, random: SeededRandom): string {
  const paragraphs = [faker.hacker.phrase()];
  const extra = random.int(0, 2);
  for (let p = 0; p < extra; p++) paragraphs.push(faker.lorem.paragraph(random.int(2, 5)));
  return paragraphs.join('\n\n');
}

function maxDate(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}
