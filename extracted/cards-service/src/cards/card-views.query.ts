import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { normaliseTagName } from './tag-names.js';
import { CardView, CardViewRow, toCardView } from './views/card.view.js';

export interface CardListFilter {
  authorId?: string;
  tag?: string;
}

const CARD_VIEW_SELECT = `
  SELECT c.id, c.title, c.body,
         a.id AS "authorId", a.handle AS "authorHandle", a.display_name AS "authorDisplayName",
         ARRAY(SELECT t.name FROM card_tags ct JOIN tags t ON t.id = ct.tag_id
               WHERE ct.card_id = c.id) AS tags,
         (SELECT count(*) FROM likes l WHERE l.card_id = c.id)::int AS "likeCount",
         (SELECT count(*) FROM comments m WHERE m.card_id = c.id)::int AS "commentCount",
         c.created_at AS "createdAt", c.updated_at AS "updatedAt"
    FROM cards c
    JOIN authors a ON a.id = c.author_id`;

/** Reads `CardView`s of published cards: one query per page, counts and tags included. */
@Injectable()
export class CardViewsQuery {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Newest first (`createdAt` desc, then `id` desc). */
  async findPage(
    filter: CardListFilter,
    page: number,
    pageSize: number,
  ): Promise<{ items: CardView[]; total: number }> {
    const where = ["c.status = 'published'"];
    const params: unknown[] = [];
    if (filter.authorId !== undefined) {
      params.push(filter.authorId);
      where.push(`c.author_id = $${params.length}`);
    }
    if (filter.tag !== undefined) {
      params.push(normaliseTagName(filter.tag));
      where.push(
        `EXISTS (SELECT 1 FROM card_tags ct JOIN tags t ON t.id = ct.tag_id
                  WHERE ct.card_id = c.id AND t.name = $${params.length})`,
      );
    }
    const whereSql = where.join(' AND ');
    const [{ total }] = await this.dataSource.query<[{ total: number }]>(
      `SELECT count(*)::int AS total FROM cards c WHERE ${whereSql}`,
      params,
    );
    const rows: CardViewRow[] = await this.dataSource.query(
      `${CARD_VIEW_SELECT} WHERE ${whereSql}
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, pageSize, (page - 1) * pageSize],
    );
    return { items: rows.map(toCardView), total };
  }

  /** The view of a published card, or `undefined`; inside a transaction when `manager` is given. */
  async findOne(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CardView | undefined> {
    const rows: CardViewRow[] = await manager.query(
      `${CARD_VIEW_SELECT} WHERE c.id = $1 AND c.status = 'published'`,
      [id],
    );
    return rows[0] && toCardView(rows[0]);
  }
}
