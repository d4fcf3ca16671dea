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
import { Author } from '../../authors/author.entity.js';

export type CardStatus = 'published' | 'hidden';

@Entity({ name: 'cards' })
@Check('CHK_cards_status', `"status" IN ('published', 'hidden')`)
@Index('IDX_cards_published_recent', { synchronize: false })
export class Card {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_cards' })
  id!: string;

  @Index('IDX_cards_author')
  @Column({ name: 'author_id', type: 'uuid' })
  authorId!: string;

  @ManyToOne(() => Author, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'author_id', foreignKeyConstraintName: 'FK_cards_author' })
  author!: Relation<Author>;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text' })
  body!: string;

  /** `hidden` cards (moderated in the legacy admin) do not exist for the public API. */
  @Column({ type: 'text', default: 'published' })
  status!: CardStatus;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
