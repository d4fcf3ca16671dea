import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type {
  CardChangedEvent,
  CardDeletedEvent,
} from '../../../extracted/cards-service/src/events/cards-events.js';
import { User } from '../users/user.entity.js';

/** What `GET /notifications` answers: how many, and the newest first. */
export interface NotificationsView {
  count: number;
  items: { cardId: string; cardTitle: string; authorId: string; createdAt: string }[];
}

const LISTED = 20;

/** The followers' notifications of new cards, kept from cards-service's events. */
@Injectable()
export class NotificationsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Every follower of the author gets one notification of the card (once, however often told). */
  async cardCreated(event: CardChangedEvent): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO notifications (user_id, card_id, author_id, card_title, created_at)
       SELECT f.follower_id, $1, $2, $3, $4 FROM follows f WHERE f.followee_id = $2
       ON CONFLICT (user_id, card_id) DO NOTHING`,
      [event.id, event.author.id, event.title, event.occurredAt],
    );
  }

  /** A deleted card is no longer worth a notification. */
  async cardDeleted(event: CardDeletedEvent): Promise<void> {
    await this.dataSource.query('DELETE FROM notifications WHERE card_id = $1', [event.id]);
  }

  async forUser(user: User): Promise<NotificationsView> {
    const [countRows, rows] = await Promise.all([
      this.dataSource.query<{ count: number }[]>(
        'SELECT count(*)::int AS count FROM notifications WHERE user_id = $1',
        [user.id],
      ),
      this.dataSource.query<
        { cardId: string; cardTitle: string; authorId: string; createdAt: Date }[]
      >(
        `SELECT card_id AS "cardId", card_title AS "cardTitle", author_id AS "authorId",
                created_at AS "createdAt"
           FROM notifications WHERE user_id = $1
          ORDER BY created_at DESC, card_id DESC LIMIT ${LISTED}`,
        [user.id],
      ),
    ]);
    return {
      count: countRows[0]?.count ?? 0,
      items: rows.map((row) => ({ ...row, createdAt: new Date(row.createdAt).toISOString() })),
    };
  }
}
