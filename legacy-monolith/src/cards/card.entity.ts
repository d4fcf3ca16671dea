import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { User } from '../users/user.entity.js';
import { CardTag } from './card-tag.entity.js';

/** Must stay identical to migration `AddCardSearchVector` (the schema-drift test checks). */
export const CARD_SEARCH_VECTOR_EXPRESSION =
  `setweight(to_tsvector('english', coalesce("title", '')), 'A') || ` +
  `setweight(to_tsvector('english', coalesce("body", '')), 'B')`;

export type CardStatus = 'published' | 'hidden';

/** A short post by a user. Admins can hide it; hidden cards do not exist for the public API. */
@Entity('cards')
@Check('cards_status_check', `"status" IN ('published', 'hidden')`)
@Index('cards_author_id_created_at_idx', ['authorId', 'createdAt'])
@Index('cards_created_at_id_idx', ['createdAt', 'id'])
export class Card {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'author_id', type: 'uuid' })
  authorId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'author_id', foreignKeyConstraintName: 'cards_author_id_fkey' })
  author?: Relation<User>;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 16, default: 'published' })
  status!: CardStatus;

  @Column({ name: 'hidden_reason', type: 'text', nullable: true })
  hiddenReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /**
   * Full-text document over title (weight A) and body (weight B): a STORED generated column
   * with a GIN index, created by migration `AddCardSearchVector`. Never written by the app.
   */
  @Index('cards_search_vector_idx', { synchronize: false }) // GIN: created by the migration
  @Column({
    name: 'search_vector',
    type: 'tsvector',
    nullable: true,
    select: false,
    insert: false,
    update: false,
    generatedType: 'STORED',
    asExpression: CARD_SEARCH_VECTOR_EXPRESSION,
  })
  searchVector?: string;

  @OneToMany(() => CardTag, (cardTag) => cardTag.card)
  cardTags?: Relation<CardTag[]>;
}
