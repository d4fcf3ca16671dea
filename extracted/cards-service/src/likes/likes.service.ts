import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Author } from '../authors/author.entity.js';
import { findPublishedCardAuthorId } from '../cards/published-cards.js';

/** Likes are idempotent both ways; 404 when the card is missing or hidden. */
@Injectable()
export class LikesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async like(author: Author, cardId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await findPublishedCardAuthorId(manager, cardId, 'key share');
      await manager.query(
        `INSERT INTO likes (user_id, card_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [author.id, cardId],
      );
    });
  }

  async unlike(author: Author, cardId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await findPublishedCardAuthorId(manager, cardId, 'key share');
      await manager.query(`DELETE FROM likes WHERE user_id = $1 AND card_id = $2`, [
        author.id,
        cardId,
      ]);
    });
  }
}
