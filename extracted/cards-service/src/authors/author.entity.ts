import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The service's read copy of a legacy user: only what the cards endpoints need (the author block
 * of a view, and the ban check). Filled by the copy/change-data-capture pipeline, never by HTTP.
 */
@Entity({ name: 'authors' })
export class Author {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_authors' })
  id!: string;

  @Column({ type: 'text' })
  handle!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ name: 'banned_at', type: 'timestamptz', nullable: true })
  bannedAt!: Date | null;
}
