// A deliberate copy of cards-service's card views (services share no code: docs/decisions.md §11).
/** The author block of a `CardView`, in the contract's key order. */
export interface AuthorView {
  id: string;
  handle: string;
  displayName: string;
}

/** A card as the public API shows it; key order matters (the contract compares it). */
export interface CardView {
  id: string;
  title: string;
  body: string;
  author: AuthorView;
  tags: string[];
  likeCount: number;
  commentCount: number;
  createdAt: string;
  updatedAt: string;
}

/** One search result: the card and its `ts_rank` against the query. */
export interface SearchHit {
  card: CardView;
  rank: number;
}

/** A page of results, keys in contract order. */
export interface SearchPage {
  items: SearchHit[];
  page: number;
  pageSize: number;
  total: number;
}

/** One `search_documents` row of a page, with its rank. */
export interface SearchDocumentRow {
  card_id: string;
  title: string;
  body: string;
  author_id: string;
  author_handle: string;
  author_display_name: string;
  tags: string[];
  like_count: number;
  comment_count: number;
  created_at: Date;
  updated_at: Date;
  rank: number;
}

export function toSearchHit(row: SearchDocumentRow): SearchHit {
  return {
    card: {
      id: row.card_id,
      title: row.title,
      body: row.body,
      author: {
        id: row.author_id,
        handle: row.author_handle,
        displayName: row.author_display_name,
      },
      // UTF-16 code-unit order, exactly legacy's `[...tags].sort()`.
      tags: [...row.tags].sort(),
      likeCount: row.like_count,
      commentCount: row.comment_count,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    },
    rank: row.rank,
  };
}
