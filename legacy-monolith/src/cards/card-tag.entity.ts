import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Card } from './card.entity.js';
import { Tag } from './tag.entity.js';

/** Link between a card and one of its tags (composite primary key). */
@Entity('card_tags')
@Index('card_tags_tag_id_idx', ['tagId'])
export class CardTag {
  @PrimaryColumn({ name: 'card_id', type: 'uuid' })
  cardId!: string;

  @PrimaryColumn({ name: 'tag_id', type: 'uuid' })
  tagId!: string;

  @ManyToOne(() => Card, (card) => card.cardTags, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'card_tags_card_id_fkey' })
  card?: Relation<Card>;

  @ManyToOne(() => Tag, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tag_id', foreignKeyConstraintName: 'card_tags_tag_id_fkey' })
  tag?: Relation<Tag>;
}
