import type { ModerationActionKind, ModerationTargetType } from './moderation-action.entity.js';

/** One row of the moderation log. */
export interface ModerationActionView {
  id: string;
  actorId: string;
  action: ModerationActionKind;
  targetType: ModerationTargetType;
  targetId: string;
  reason: string | null;
  createdAt: string;
}

/** `GET /admin/stats`: row counts across the whole legacy database. */
export interface AdminStats {
  users: number;
  bannedUsers: number;
  cards: number;
  hiddenCards: number;
  comments: number;
  likes: number;
  follows: number;
}
