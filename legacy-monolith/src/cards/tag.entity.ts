import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A lower-case label; cards link to tags through `card_tags`. */
@Entity('tags')
export class Tag {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('tags_name_key', { unique: true })
  @Column({ type: 'varchar', length: 40 })
  name!: string;
}
