import { ForbiddenException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Author } from '../authors/author.entity.js';
import { CARDS_EVENTS } from '../events/cards-events.js';
import { CardsEventsPublisher } from '../events/cards-events.publisher.js';
import { CardNotFoundException } from './card-not-found.exception.js';
import { replaceCardTags } from './card-tags.writer.js';
import { CardViewsQuery } from './card-views.query.js';
import { CreateCardDto } from './dto/create-card.dto.js';
import { ListCardsQueryDto } from './dto/list-cards-query.dto.js';
import { UpdateCardDto } from './dto/update-card.dto.js';
import { findPublishedCardAuthorId } from './published-cards.js';
import { normaliseTagNames } from './tag-names.js';
import { CardView } from './views/card.view.js';
import { paginated, Paginated } from './views/paginated.view.js';

/** The cards use cases. Every write publishes its event after its transaction committed. */
@Injectable()
export class CardsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly views: CardViewsQuery,
    private readonly events: CardsEventsPublisher,
  ) {}

  async list(query: ListCardsQueryDto): Promise<Paginated<CardView>> {
    const { page, pageSize, authorId, tag } = query;
    const { items, total } = await this.views.findPage({ authorId, tag }, page, pageSize);
    return paginated(items, page, pageSize, total);
  }

  async get(id: string): Promise<CardView> {
    const view = await this.views.findOne(id);
    if (!view) throw new CardNotFoundException(id);
    return view;
  }

  async create(author: Author, dto: CreateCardDto): Promise<CardView> {
    const view = await this.dataSource.transaction(async (manager) => {
      const [{ id }] = await manager.query<[{ id: string }]>(
        `INSERT INTO cards (author_id, title, body) VALUES ($1, $2, $3) RETURNING id`,
        [author.id, dto.title, dto.body],
      );
      await replaceCardTags(manager, id, normaliseTagNames(dto.tags ?? []));
      return this.viewInTransaction(manager, id);
    });
    this.events.publish(CARDS_EVENTS.created, { ...view, occurredAt: new Date().toISOString() });
    return view;
  }

  /** Only the fields given change (`null` counts as not given); `updatedAt` moves on every update. */
  async update(author: Author, id: string, dto: UpdateCardDto): Promise<CardView> {
    const view = await this.dataSource.transaction(async (manager) => {
      await this.lockOwnCard(manager, author, id);
      const sets = ['updated_at = now()'];
      const params: unknown[] = [id];
      for (const [column, value] of [
        ['title', dto.title],
        ['body', dto.body],
      ] as const) {
        if (value === undefined || value === null) continue;
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      }
      await manager.query(`UPDATE cards SET ${sets.join(', ')} WHERE id = $1`, params);
      if (dto.tags !== undefined && dto.tags !== null) {
        await replaceCardTags(manager, id, normaliseTagNames(dto.tags));
      }
      return this.viewInTransaction(manager, id);
    });
    this.events.publish(CARDS_EVENTS.updated, { ...view, occurredAt: new Date().toISOString() });
    return view;
  }

  /**
   * Deletes the card with its comments, likes and tag links: explicitly (the foreign keys would
   * cascade anyway), so the intent reads here and a change data capture sees each row go.
   */
  async remove(author: Author, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.lockOwnCard(manager, author, id);
      for (const table of ['comments', 'likes', 'card_tags']) {
        await manager.query(`DELETE FROM ${table} WHERE card_id = $1`, [id]);
      }
      await manager.query(`DELETE FROM cards WHERE id = $1`, [id]);
    });
    this.events.publish(CARDS_EVENTS.deleted, { id, occurredAt: new Date().toISOString() });
  }

  /** 404 when missing or hidden, then 403 when `author` did not write it. */
  private async lockOwnCard(manager: EntityManager, author: Author, id: string): Promise<void> {
    const authorId = await findPublishedCardAuthorId(manager, id, 'update');
    if (authorId !== author.id) {
      throw new ForbiddenException('Only the author can change this card');
    }
  }

  private async viewInTransaction(manager: EntityManager, id: string): Promise<CardView> {
    const view = await this.views.findOne(id, manager);
    if (!view) throw new CardNotFoundException(id);
    return view;
  }
}
