/**
 * cards-service's events have a consumer: the monolith listens on Nest's TCP transport and turns
 * `card.created` into notifications for the author's followers (`GET /notifications`). The
 * events go out through cards-service's own publisher and client, as in the running example.
 */
import { Logger } from '@nestjs/common';
import { createCardsEventsClient } from '../../extracted/cards-service/src/events/cards-events-client.js';
import { CARDS_EVENTS } from '../../extracted/cards-service/src/events/cards-events.js';
import { CardsEventsPublisher } from '../../extracted/cards-service/src/events/cards-events.publisher.js';
import { findFreePort } from '../../stack/free-port.js';
import { listenForCardEvents } from '../src/notifications/listen-for-card-events.js';
import {
  bearer,
  E2E_TIMEOUT,
  insertUser,
  startLegacyTestApp,
  type LegacyTestContext,
} from './legacy-test-app.js';

describe('the monolith consumes cards-service events', () => {
  let t: LegacyTestContext;
  let publisher: CardsEventsPublisher;

  beforeAll(async () => {
    t = await startLegacyTestApp('card-events');
    const port = await findFreePort();
    await listenForCardEvents(t.app, { host: '127.0.0.1', port });
    Logger.overrideLogger(false);
    publisher = new CardsEventsPublisher(
      createCardsEventsClient({ kind: 'tcp', host: '127.0.0.1', port }),
    );
  }, E2E_TIMEOUT);
  afterAll(async () => {
    await publisher?.onApplicationShutdown();
    await t?.stop();
  }, E2E_TIMEOUT);

  const notificationsOf = async (userId: string) =>
    (await t.http().get('/notifications').set('Authorization', bearer(userId)).expect(200))
      .body as { count: number; items: { cardId: string; cardTitle: string }[] };

  const eventually = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('the event had no effect within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it(
    'card.created notifies the followers of the author, once; card.deleted withdraws it',
    async () => {
      const author = await insertUser(t.db);
      const follower = await insertUser(t.db);
      const stranger = await insertUser(t.db);
      await t.http().put(`/users/${author.id}/follow`).set('Authorization', bearer(follower.id));
      const card = {
        id: '7d1f0c4e-5b7a-4c1e-9f00-0a1b2c3d4e5f',
        title: 'Written in cards-service',
        body: 'Heard of by the monolith through an event',
        author: { id: author.id, handle: author.handle, displayName: author.displayName },
        tags: [],
        likeCount: 0,
        commentCount: 0,
        createdAt: '2026-12-05T12:00:00.000Z',
        updatedAt: '2026-12-05T12:00:00.000Z',
        occurredAt: '2026-12-05T12:00:00.000Z',
      };
      expect((await notificationsOf(follower.id)).count).toBe(0);

      publisher.publish(CARDS_EVENTS.created, card);
      publisher.publish(CARDS_EVENTS.created, card); // delivered again: still one notification
      await eventually(async () => (await notificationsOf(follower.id)).count > 0);
      // Let the second delivery land before reading.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await notificationsOf(follower.id)).toEqual({
        count: 1,
        items: [
          {
            cardId: card.id,
            cardTitle: card.title,
            authorId: author.id,
            createdAt: card.occurredAt,
          },
        ],
      });
      expect((await notificationsOf(stranger.id)).count).toBe(0);

      publisher.publish(CARDS_EVENTS.deleted, { id: card.id, occurredAt: card.occurredAt });
      await eventually(async () => (await notificationsOf(follower.id)).count === 0);
    },
    E2E_TIMEOUT,
  );
});
