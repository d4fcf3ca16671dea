import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Author } from '../authors/author.entity.js';
import { PaginationQueryDto } from '../cards/dto/pagination-query.dto.js';
import { findPublishedCardAuthorId } from '../cards/published-cards.js';
import { paginated, Paginated } from '../cards/views/paginated.view.js';
import { CommentView, toCommentView } from './comment.view.js';
import { CreateCommentDto } from './create-comment.dto.js';

interface CommentRow {
  id: string;
  cardId: string;
  authorId: string;
  authorHandle: string;
  authorDisplayName: string;
  body: string;
  createdAt: Date;
}

@Injectable()
export class CommentsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Oldest first (`createdAt` asc, then `id` asc); 404 when the card is missing or hidden. */
  async list(cardId: string, query: PaginationQueryDto): Promise<Paginated<CommentView>> {
    const { page, pageSize } = query;
    await findPublishedCardAuthorId(this.dataSource.manager, cardId);
    const [{ total }] = await this.dataSource.query<[{ total: number }]>(
      `SELECT count(*)::int AS total FROM comments WHERE card_id = $1`,
      [cardId],
    );
    const rows: CommentRow[] = await this.dataSource.query(
      `SELECT m.id, m.card_id AS "cardId", a.id AS "authorId", a.handle AS "authorHandle",
              a.display_name AS "authorDisplayName", m.body, m.created_at AS "createdAt"
         FROM comments m JOIN authors a ON a.id = m.author_id
        WHERE m.card_id = $1
        ORDER BY m.created_at ASC, m.id ASC
        LIMIT $2 OFFSET $3`,
      [cardId, pageSize, (page - 1) * pageSize],
    );
    const items = rows.map((row) =>
      toCommentView({
        ...row,
        author: { id: row.authorId, handle: row.authorHandle, displayName: row.authorDisplayName },
      }),
    );
    return paginated(items, page, pageSize, total);
  }

  async create(author: Author, cardId: string, dto: CreateCommentDto): Promise<CommentView> {
    return this.dataSource.transaction(async (manager) => {
      await findPublishedCardAuthorId(manager, cardId, 'key share');
      const [row] = await manager.query<
        [{ id: string; cardId: string; body: string; createdAt: Date }]
      >(
        `INSERT INTO comments (card_id, author_id, body) VALUES ($1, $2, $3)
         RETURNING id, card_id AS "cardId", body, created_at AS "createdAt"`,
        [cardId, author.id, dto.body],
      );
      return toCommentView({ ...row, author });
    });
  }
}
