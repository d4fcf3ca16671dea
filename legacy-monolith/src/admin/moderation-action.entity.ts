import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { User } from '../users/user.entity.js';

export type ModerationActionKind = 'hide_card' | 'unhide_card' | 'ban_user' | 'unban_user';
export type ModerationTargetType = 'card' | 'user';

/** The audit log of moderation: one row per admin action, never updated or deleted. */
@Entity('moderation_actions')
@Check(
  'moderation_actions_action_check',
  `"action" IN ('hide_card', 'unhide_card', 'ban_user', 'unban_user')`,
)
@Check('moderation_actions_target_type_check', `"target_type" IN ('card', 'user')`)
@Index('moderation_actions_created_at_idx', ['createdAt', 'id'])
export class ModerationAction {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'actor_id', type: 'uuid' })
  actorId!: string;

  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'actor_id', foreignKeyConstraintName: 'moderation_actions_actor_id_fkey' })
  actor?: Relation<User>;

  @Column({ type: 'varchar', length: 32 })
  action!: ModerationActionKind;

  @Column({ name: 'target_type', type: 'varchar', length: 16 })
  targetType!: ModerationTargetType;

  /** Id of the card or user acted on (polymorphic, so no foreign key). */
  @Column({ name: 'target_id', type: 'uuid' })
  targetId!: string;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
