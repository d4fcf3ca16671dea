import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type UserRole = 'member' | 'admin';

/** A person with a profile; admins moderate cards and users. */
@Entity('users')
@Check('users_role_check', `"role" IN ('member', 'admin')`)
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('users_handle_key', { unique: true })
  @Column({ type: 'varchar', length: 40 })
  handle!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100 })
  displayName!: string;

  @Index('users_email_key', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 16, default: 'member' })
  role!: UserRole;

  /** When the user's current bearer token was issued (informational: tokens are stateless). */
  @Column({ name: 'api_token_issued_at', type: 'timestamptz', nullable: true })
  apiTokenIssuedAt!: Date | null;

  @Column({ name: 'banned_at', type: 'timestamptz', nullable: true })
  bannedAt!: Date | null;

  @Column({ name: 'ban_reason', type: 'text', nullable: true })
  banReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
