import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Author } from '../authors/author.entity.js';
import { Card } from '../cards/entities/card.entity.js';

@Entity({ name: 'comments' })
@Index('IDX_comments_card_created', ['cardId', 'createdAt', 'id'])
export class Comment {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_comments' })
  id!: string;

  @Column({ name: 'card_id', type: 'uuid' })
  cardId!: string;

  @ManyToOne(() => Card, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'FK_comments_card' })
  card!: Relation<Card>;

  @Column({ name: 'author_id', type: 'uuid' })
  authorId!: string;

  @ManyToOne(() => Author, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'author_id', foreignKeyConstraintName: 'FK_comments_author' })
  author!: Relation<Author>;

  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
