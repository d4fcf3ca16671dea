import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SearchQueryDto } from './dto/search-query.dto.js';
import { SearchDocumentRow, SearchPage, toSearchHit } from './search-hit.view.js';

/**
 * The total and one page in ONE statement over the read model only (the count and the page see
 * the same snapshot). Same query, filter and order as legacy: `websearch_to_tsquery('english')`,
 * published cards, `ts_rank` over the same weighted vector, best first, then newest, then id.
 * Only keys and ranks of the matches are kept; the page's documents are read once it is cut.
 * The LEFT JOIN keeps one row when the page is empty, so a page past the end still has the total.
 */
const SEARCH_SQL = `
  WITH matches AS MATERIALIZED (
    SELECT d.card_id, d.created_at, ts_rank(d.search_vector, query) AS rank
      FROM search_documents d, websearch_to_tsquery('english', $1) AS query
     WHERE d.status = 'published' AND d.search_vector @@ query),
  counted AS (SELECT count(*)::int AS total FROM matches)
  SELECT counted.total, page.*
    FROM counted
    LEFT JOIN LATERAL (
      SELECT d.card_id, d.title, d.body, d.author_id, d.author_handle, d.author_display_name,
             d.tags, d.like_count, d.comment_count, d.created_at, d.updated_at, hit.rank
        FROM (SELECT * FROM matches
               ORDER BY rank DESC, created_at DESC, card_id DESC
              OFFSET $2 LIMIT $3) AS hit
        JOIN search_documents d ON d.card_id = hit.card_id) AS page ON true
   ORDER BY page.rank DESC, page.created_at DESC, page.card_id DESC`;

/** The total, and a hit unless the page is empty (then the LEFT JOIN's columns are null). */
type PageRow = { total: number } & (SearchDocumentRow | { card_id: null });

/** Full-text search of published cards in the `search_documents` read model. */
@Injectable()
export class SearchService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async search(query: SearchQueryDto): Promise<SearchPage> {
    const { page, pageSize } = query;
    const rows: PageRow[] = await this.dataSource.query(SEARCH_SQL, [
      query.q,
      (page - 1) * pageSize,
      pageSize,
    ]);
    const items = rows.flatMap((row) => (row.card_id === null ? [] : [toSearchHit(row)]));
    return { items, page, pageSize, total: rows[0]?.total ?? 0 };
  }
}
