import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadCardViews } from '../cards/card-views.query.js';
import { Page, pageWindow, toPage } from '../common/page.js';
import { SearchQueryDto } from './dto/search-query.dto.js';
import type { SearchHit } from './search-hit.type.js';

/**
 * PostgreSQL full-text search over the `cards.search_vector` generated column (GIN index),
 * best `ts_rank` first. Titles weigh more than bodies (weights A and B).
 */
@Injectable()
export class SearchService {
  constructor(private readonly dataSource: DataSource) {}

  async search(query: SearchQueryDto): Promise<Page<SearchHit>> {
    const window = pageWindow(query);
    const matches = `FROM cards c, websearch_to_tsquery('english', $1) AS query
                    WHERE c.status = 'published' AND c.search_vector @@ query`;
    const [countRows, hitRows] = await Promise.all([
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total ${matches}`, [
        query.q,
      ]),
      this.dataSource.query<{ id: string; rank: number }[]>(
        `SELECT c.id, ts_rank(c.search_vector, query) AS rank ${matches}
          ORDER BY rank DESC, c.created_at DESC, c.id DESC OFFSET $2 LIMIT $3`,
        [query.q, window.offset, window.pageSize],
      ),
    ]);
    const cards = await loadCardViews(
      this.dataSource.manager,
      hitRows.map((row) => row.id),
    );
    const rankById = new Map(hitRows.map((row) => [row.id, row.rank]));
    const items = cards.map((card) => ({ card, rank: rankById.get(card.id) ?? 0 }));
    return toPage(items, window, countRows[0]?.total ?? 0);
  }
}
