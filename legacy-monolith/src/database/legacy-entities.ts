import { ModerationAction } from '../admin/moderation-action.entity.js';
import { CardTag } from '../cards/card-tag.entity.js';
import { Card } from '../cards/card.entity.js';
import { Comment } from '../cards/comment.entity.js';
import { Like } from '../cards/like.entity.js';
import { Tag } from '../cards/tag.entity.js';
import { Notification } from '../notifications/notification.entity.js';
import { Follow } from '../users/follow.entity.js';
import { User } from '../users/user.entity.js';

/** Every entity of the legacy database, registered explicitly (no globs). */
export const legacyEntities = [
  User,
  Follow,
  Card,
  Tag,
  CardTag,
  Like,
  Comment,
  ModerationAction,
  Notification,
];
