import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UserProfile } from './user-profile.type.js';
import { User } from './user.entity.js';

interface ProfileRow {
  id: string;
  handle: string;
  display_name: string;
  role: string;
  banned_at: Date | null;
  created_at: Date;
  follower_count: number;
  following_count: number;
  card_count: number;
}

/** Profiles and the follow graph. */
@Injectable()
export class UsersService {
  constructor(private readonly dataSource: DataSource) {}

  async profile(id: string): Promise<UserProfile> {
    const rows = await this.dataSource.query<ProfileRow[]>(
      `SELECT u.id, u.handle, u.display_name, u.role, u.banned_at, u.created_at,
              (SELECT count(*) FROM follows f WHERE f.followee_id = u.id)::int AS follower_count,
              (SELECT count(*) FROM follows f WHERE f.follower_id = u.id)::int AS following_count,
              (SELECT count(*) FROM cards c
                WHERE c.author_id = u.id AND c.status = 'published')::int AS card_count
         FROM users u WHERE u.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) throw userNotFound(id);
    return {
      id: row.id,
      handle: row.handle,
      displayName: row.display_name,
      role: row.role,
      banned: row.banned_at !== null,
      followerCount: row.follower_count,
      followingCount: row.following_count,
      cardCount: row.card_count,
      createdAt: row.created_at.toISOString(),
    };
  }

  /** Idempotent. */
  async follow(follower: User, followeeId: string): Promise<void> {
    if (follower.id === followeeId) throw new BadRequestException('Users cannot follow themselves');
    await this.assertExists(followeeId);
    await this.dataSource.query(
      `INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (follower_id, followee_id) DO NOTHING`,
      [follower.id, followeeId, new Date()],
    );
  }

  /** Idempotent. */
  async unfollow(follower: User, followeeId: string): Promise<void> {
    await this.assertExists(followeeId);
    await this.dataSource.query('DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2', [
      follower.id,
      followeeId,
    ]);
  }

  private async assertExists(id: string): Promise<void> {
    const found = await this.dataSource.getRepository(User).existsBy({ id });
    if (!found) throw userNotFound(id);
  }
}

export function userNotFound(id: string): NotFoundException {
  return new NotFoundException(`User ${id} not found`);
}
