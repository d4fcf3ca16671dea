import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Card } from '../cards/card.entity.js';
import { cardNotFound } from '../cards/cards.service.js';
import { Page, pageWindow, toPage } from '../common/page.js';
import { PaginationQueryDto } from '../common/pagination-query.dto.js';
import { User } from '../users/user.entity.js';
import { userNotFound } from '../users/users.service.js';
import type { AdminStats, ModerationActionView } from './admin-views.type.js';
import {
  ModerationAction,
  ModerationActionKind,
  ModerationTargetType,
} from './moderation-action.entity.js';

/**
 * Moderation and statistics. Reaches into every table of the monolith: the kind of module
 * that makes extraction hard, and that keeps reading cards after cards-service owns them.
 * Each action changes the target and appends to `moderation_actions` in one transaction.
 */
@Injectable()
export class AdminService {
  constructor(private readonly dataSource: DataSource) {}

  hideCard(actor: User, cardId: string, reason: string): Promise<ModerationActionView> {
    return this.dataSource.transaction(async (manager) => {
      await this.lockCard(manager, cardId);
      await manager
        .getRepository(Card)
        .update({ id: cardId }, { status: 'hidden', hiddenReason: reason });
      return record(manager, actor, 'hide_card', 'card', cardId, reason);
    });
  }

  unhideCard(actor: User, cardId: string, reason?: string): Promise<ModerationActionView> {
    return this.dataSource.transaction(async (manager) => {
      await this.lockCard(manager, cardId);
      await manager
        .getRepository(Card)
        .update({ id: cardId }, { status: 'published', hiddenReason: null });
      return record(manager, actor, 'unhide_card', 'card', cardId, reason ?? null);
    });
  }

  banUser(actor: User, userId: string, reason: string): Promise<ModerationActionView> {
    if (actor.id === userId) throw new BadRequestException('Admins cannot ban themselves');
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, userId);
      await manager
        .getRepository(User)
        .update({ id: userId }, { bannedAt: user.bannedAt ?? new Date(), banReason: reason });
      return record(manager, actor, 'ban_user', 'user', userId, reason);
    });
  }

  unbanUser(actor: User, userId: string, reason?: string): Promise<ModerationActionView> {
    return this.dataSource.transaction(async (manager) => {
      await this.lockUser(manager, userId);
      await manager.getRepository(User).update({ id: userId }, { bannedAt: null, banReason: null });
      return record(manager, actor, 'unban_user', 'user', userId, reason ?? null);
    });
  }

  async stats(): Promise<AdminStats> {
    const rows = await this.dataSource.query<AdminStats[]>(
      `SELECT (SELECT count(*) FROM users)::int AS "users",
              (SELECT count(*) FROM users WHERE banned_at IS NOT NULL)::int AS "bannedUsers",
              (SELECT count(*) FROM cards)::int AS "cards",
              (SELECT count(*) FROM cards WHERE status = 'hidden')::int AS "hiddenCards",
              (SELECT count(*) FROM comments)::int AS "comments",
              (SELECT count(*) FROM likes)::int AS "likes",
              (SELECT count(*) FROM follows)::int AS "follows"`,
    );
    return rows[0];
  }

  /** The moderation log, newest first. */
  async moderationLog(query: PaginationQueryDto): Promise<Page<ModerationActionView>> {
    const window = pageWindow(query);
    const [actions, total] = await this.dataSource.getRepository(ModerationAction).findAndCount({
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: window.offset,
      take: window.pageSize,
    });
    return toPage(actions.map(toModerationActionView), window, total);
  }

  private async lockCard(manager: EntityManager, id: string): Promise<Card> {
    const card = await manager
      .getRepository(Card)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!card) throw cardNotFound(id);
    return card;
  }

  private async lockUser(manager: EntityManager, id: string): Promise<User> {
    const user = await manager
      .getRepository(User)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!user) throw userNotFound(id);
    return user;
  }
}

async function record(
  manager: EntityManager,
  actor: User,
  action: ModerationActionKind,
  targetType: ModerationTargetType,
  targetId: string,
  reason: string | null,
): Promise<ModerationActionView> {
  const repository = manager.getRepository(ModerationAction);
  const saved = await repository.save(
    repository.create({
      actorId: actor.id,
      action,
      targetType,
      targetId,
      reason,
      createdAt: new Date(),
    }),
  );
  return toModerationActionView(saved);
}

function toModerationActionView(action: ModerationAction): ModerationActionView {
  return {
    id: action.id,
    actorId: action.actorId,
    action: action.action,
    targetType: action.targetType,
    targetId: action.targetId,
    reason: action.reason,
    createdAt: action.createdAt.toISOString(),
  };
}
