import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

@Entity({ name: 'tags' })
@Unique('UQ_tags_name', ['name'])
export class Tag {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_tags' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;
}
