import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Page, pageWindow, toPage } from '../common/page.js';
import { PaginationQueryDto } from '../common/pagination-query.dto.js';
import { User } from '../users/user.entity.js';
import { Card } from './card.entity.js';
import type { CardView, CommentView } from './card-view.type.js';
import { loadCardViews } from './card-views.query.js';
import { Comment } from './comment.entity.js';
import { CreateCardDto } from './dto/create-card.dto.js';
import { CreateCommentDto } from './dto/create-comment.dto.js';
import { ListCardsQueryDto } from './dto/list-cards-query.dto.js';
import { UpdateCardDto } from './dto/update-card.dto.js';
import { normaliseTag, normaliseTags } from './normalise-tags.util.js';

interface CommentRow {
  id: string;
  card_id: string;
  author_id: string;
  author_handle: string;
  author_display_name: string;
  body: string;
  created_at: Date;
}

/** Cards, their tags, comments and likes: the slice the contract says cards-service takes over. */
@Injectable()
export class CardsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: ListCardsQueryDto): Promise<Page<CardView>> {
    const window = pageWindow(query);
    const qb = this.dataSource
      .getRepository(Card)
      .createQueryBuilder('card')
      .select('card.id', 'id')
      .where(`card.status = 'published'`);
    if (query.authorId) qb.andWhere('card.author_id = :authorId', { authorId: query.authorId });
    if (query.tag !== undefined) {
      qb.andWhere(
        `EXISTS (SELECT 1 FROM card_tags ct JOIN tags t ON t.id = ct.tag_id
                  WHERE ct.card_id = card.id AND t.name = :tag)`,
        { tag: normaliseTag(query.tag) },
      );
    }
    const [total, rows] = await Promise.all([
      qb.getCount(),
      qb
        .clone()
        .orderBy('card.created_at', 'DESC')
        .addOrderBy('card.id', 'DESC')
        .offset(window.offset)
        .limit(window.pageSize)
        .getRawMany<{ id: string }>(),
    ]);
    const items = await loadCardViews(
      this.dataSource.manager,
      rows.map((row) => row.id),
    );
    return toPage(items, window, total);
  }

  async get(id: string): Promise<CardView> {
    await this.findVisibleCard(this.dataSource.manager, id);
    return this.view(id);
  }

  async create(author: User, dto: CreateCardDto): Promise<CardView> {
    const id = await this.dataSource.transaction(async (manager) => {
      const now = new Date();
      const card = await manager.getRepository(Card).save(
        manager.getRepository(Card).create({
          authorId: author.id,
          title: dto.title,
          body: dto.body,
          status: 'published',
          hiddenReason: null,
          createdAt: now,
          updatedAt: now,
        }),
      );
      await this.replaceTags(manager, card.id, normaliseTags(dto.tags ?? []));
      return card.id;
    });
    return this.view(id);
  }

  async update(user: User, id: string, dto: UpdateCardDto): Promise<CardView> {
    await this.dataSource.transaction(async (manager) => {
      const card = await this.findVisibleCard(manager, id, { lock: true });
      this.assertAuthor(card, user);
      await manager.getRepository(Card).update(
        { id },
        {
          // `@IsOptional()` lets an explicit null through: it means "leave as is", like absence.
          ...(dto.title != null && { title: dto.title }),
          ...(dto.body != null && { body: dto.body }),
          updatedAt: new Date(),
        },
      );
      if (dto.tags != null) await this.replaceTags(manager, id, normaliseTags(dto.tags));
    });
    return this.view(id);
  }

  /** Deletes the card with its comments, likes and tag links (explicitly, so CDC sees each). */
  async remove(user: User, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const card = await this.findVisibleCard(manager, id, { lock: true });
      this.assertAuthor(card, user);
      await manager.query('DELETE FROM comments WHERE card_id = $1', [id]);
      await manager.query('DELETE FROM likes WHERE card_id = $1', [id]);
      await manager.query('DELETE FROM card_tags WHERE card_id = $1', [id]);
      await manager.getRepository(Card).delete({ id });
    });
  }

  async listComments(cardId: string, query: PaginationQueryDto): Promise<Page<CommentView>> {
    await this.findVisibleCard(this.dataSource.manager, cardId);
    const window = pageWindow(query);
    const [countRows, rows] = await Promise.all([
      this.dataSource.query<{ total: number }[]>(
        'SELECT count(*)::int AS total FROM comments WHERE card_id = $1',
        [cardId],
      ),
      this.dataSource.query<CommentRow[]>(
        `${COMMENT_SELECT} WHERE m.card_id = $1
          ORDER BY m.created_at ASC, m.id ASC OFFSET $2 LIMIT $3`,
        [cardId, window.offset, window.pageSize],
      ),
    ]);
    return toPage(rows.map(toCommentView), window, countRows[0]?.total ?? 0);
  }

  async addComment(author: User, cardId: string, dto: CreateCommentDto): Promise<CommentView> {
    await this.findVisibleCard(this.dataSource.manager, cardId);
    const comment = await this.dataSource.getRepository(Comment).save(
      this.dataSource.getRepository(Comment).create({
        cardId,
        authorId: author.id,
        body: dto.body,
        createdAt: new Date(),
      }),
    );
    const rows = await this.dataSource.query<CommentRow[]>(`${COMMENT_SELECT} WHERE m.id = $1`, [
      comment.id,
    ]);
    return toCommentView(rows[0]);
  }

  /** Idempotent: liking twice keeps one like. */
  async like(user: User, cardId: string): Promise<void> {
    await this.findVisibleCard(this.dataSource.manager, cardId);
    await this.dataSource.query(
      `INSERT INTO likes (user_id, card_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, card_id) DO NOTHING`,
      [user.id, cardId, new Date()],
    );
  }

  /** Idempotent: unliking a card one does not like is fine. */
  async unlike(user: User, cardId: string): Promise<void> {
    await this.findVisibleCard(this.dataSource.manager, cardId);
    await this.dataSource.query('DELETE FROM likes WHERE user_id = $1 AND card_id = $2', [
      user.id,
      cardId,
    ]);
  }

  private async view(id: string): Promise<CardView> {
    const [view] = await loadCardViews(this.dataSource.manager, [id]);
    if (!view) throw cardNotFound(id);
    return view;
  }

  /** The card, unless it is missing or hidden (both are a 404 for the public API). */
  private async findVisibleCard(
    manager: EntityManager,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<Card> {
    const card = await manager.getRepository(Card).findOne({
      where: { id },
      ...(options.lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!card || card.status !== 'published') throw cardNotFound(id);
    return card;
  }

  private assertAuthor(card: Card, user: User): void {
    if (card.authorId !== user.id) {
      throw new ForbiddenException('Only the author can change this card');
    }
  }

  /** Makes `names` the card's whole tag set, creating missing tags. */
  private async replaceTags(
    manager: EntityManager,
    cardId: string,
    names: string[],
  ): Promise<void> {
    await manager.query('DELETE FROM card_tags WHERE card_id = $1', [cardId]);
    if (names.length === 0) return;
    await manager.query(
      'INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING',
      [names],
    );
    await manager.query(
      `INSERT INTO card_tags (card_id, tag_id)
       SELECT $1, id FROM tags WHERE name = ANY($2::text[])`,
      [cardId, names],
    );
  }
}

const COMMENT_SELECT = `
  SELECT m.id, m.card_id, m.body, m.created_at,
         u.id AS author_id, u.handle AS author_handle, u.display_name AS author_display_name
    FROM comments m
    JOIN users u ON u.id = m.author_id`;

function toCommentView(row: CommentRow): CommentView {
  return {
    id: row.id,
    cardId: row.card_id,
    author: { id: row.author_id, handle: row.author_handle, displayName: row.author_display_name },
    body: row.body,
    createdAt: row.created_at.toISOString(),
  };
}

export function cardNotFound(id: string): NotFoundException {
  return new NotFoundException(`Card ${id} not found`);
}
