import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * "Someone you follow published a card": one row per follower and card (the key makes a
 * redelivered event change nothing). Written from cards-service's `card.created` events; the
 * card itself may not have reached the legacy tables yet, so what the list shows is copied here.
 */
@Entity('notifications')
export class Notification {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ name: 'card_id', type: 'uuid' })
  cardId!: string;

  @Column({ name: 'author_id', type: 'uuid' })
  authorId!: string;

  @Column({ name: 'card_title', type: 'text' })
  cardTitle!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'notifications_user_id_fkey' })
  user?: Relation<User>;
}
