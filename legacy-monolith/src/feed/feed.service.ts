import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CardView } from '../cards/card-view.type.js';
import { loadCardViews } from '../cards/card-views.query.js';
import { Page, pageWindow, toPage } from '../common/page.js';
import { PaginationQueryDto } from '../common/pagination-query.dto.js';
import { User } from '../users/user.entity.js';
import { PopularFeedQueryDto } from './dto/popular-feed-query.dto.js';

export const DEFAULT_POPULAR_DAYS = 7;

/**
 * The home feed and the popular list. Like any monolith module, it reads the cards, follows
 * and likes tables directly rather than asking the cards module.
 */
@Injectable()
export class FeedService {
  constructor(private readonly dataSource: DataSource) {}

  /** Published cards by the people `user` follows, newest first. */
  async following(user: User, query: PaginationQueryDto): Promise<Page<CardView>> {
    const window = pageWindow(query);
    const from = `FROM cards c JOIN follows f ON f.followee_id = c.author_id
                 WHERE f.follower_id = $1 AND c.status = 'published'`;
    const [countRows, idRows] = await Promise.all([
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total ${from}`, [
        user.id,
      ]),
      this.dataSource.query<{ id: string }[]>(
        `SELECT c.id ${from} ORDER BY c.created_at DESC, c.id DESC OFFSET $2 LIMIT $3`,
        [user.id, window.offset, window.pageSize],
      ),
    ]);
    const items = await loadCardViews(
      this.dataSource.manager,
      idRows.map((row) => row.id),
    );
    return toPage(items, window, countRows[0]?.total ?? 0);
  }

  /** Published cards created in the last `days` days, most liked first. */
  async popular(query: PopularFeedQueryDto): Promise<Page<CardView>> {
    const window = pageWindow(query);
    const days = query.days ?? DEFAULT_POPULAR_DAYS;
    const since = new Date(Date.now() - days * 24 * 60 * 60 * 1000);
    const from = `FROM cards c WHERE c.status = 'published' AND c.created_at >= $1`;
    const [countRows, idRows] = await Promise.all([
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total ${from}`, [since]),
      this.dataSource.query<{ id: string }[]>(
        `SELECT c.id, (SELECT count(*) FROM likes l WHERE l.card_id = c.id) AS like_count
           ${from}
          ORDER BY like_count DESC, c.created_at DESC, c.id DESC OFFSET $2 LIMIT $3`,
        [since, window.offset, window.pageSize],
      ),
    ]);
    const items = await loadCardViews(
      this.dataSource.manager,
      idRows.map((row) => row.id),
    );
    return toPage(items, window, countRows[0]?.total ?? 0);
  }
}
