import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { Author } from '../authors/author.entity.js';
import { Card } from '../cards/entities/card.entity.js';

/** One user's like of one card (composite primary key, so liking twice is a no-op). */
@Entity({ name: 'likes' })
export class Like {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_likes' })
  userId!: string;

  @Index('IDX_likes_card')
  @PrimaryColumn({ name: 'card_id', type: 'uuid', primaryKeyConstraintName: 'PK_likes' })
  cardId!: string;

  @ManyToOne(() => Author, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_likes_author' })
  user!: Relation<Author>;

  @ManyToOne(() => Card, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'FK_likes_card' })
  card!: Relation<Card>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
