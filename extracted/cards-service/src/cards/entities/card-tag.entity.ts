import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Card } from './card.entity.js';
import { Tag } from './tag.entity.js';

/** The link between a card and one of its tags (composite primary key). */
@Entity({ name: 'card_tags' })
export class CardTag {
  @PrimaryColumn({ name: 'card_id', type: 'uuid', primaryKeyConstraintName: 'PK_card_tags' })
  cardId!: string;

  @Index('IDX_card_tags_tag')
  @PrimaryColumn({ name: 'tag_id', type: 'uuid', primaryKeyConstraintName: 'PK_card_tags' })
  tagId!: string;

  @ManyToOne(() => Card, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'FK_card_tags_card' })
  card!: Relation<Card>;

  @ManyToOne(() => Tag, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tag_id', foreignKeyConstraintName: 'FK_card_tags_tag' })
  tag!: Relation<Tag>;
}
