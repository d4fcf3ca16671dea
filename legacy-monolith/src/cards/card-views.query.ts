import { EntityManager } from 'typeorm';
import type { CardView } from './card-view.type.js';

interface CardViewRow {
  id: string;
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
}

/**
 * Builds {@link CardView}s for the given card ids, in the order given. Cards, feed and search
 * all call this: it reads the users, tags, card_tags, likes and comments tables directly.
 * Visibility is the caller's business (pass only ids it may show).
 */
export async function loadCardViews(manager: EntityManager, ids: string[]): Promise<CardView[]> {
  if (ids.length === 0) return [];
  const rows: CardViewRow[] = await manager.query(
    `SELECT c.id, c.title, c.body, c.created_at, c.updated_at,
            u.id AS author_id, u.handle AS author_handle, u.display_name AS author_display_name,
            COALESCE((SELECT array_agg(t.name) FROM card_tags ct JOIN tags t ON t.id = ct.tag_id
                       WHERE ct.card_id = c.id), '{}') AS tags,
            (SELECT count(*) FROM likes l WHERE l.card_id = c.id)::int AS like_count,
            (SELECT count(*) FROM comments m WHERE m.card_id = c.id)::int AS comment_count
       FROM cards c
       JOIN users u ON u.id = c.author_id
      WHERE c.id = ANY($1::uuid[])`,
    [ids],
  );
  const byId = new Map(rows.map((row) => [row.id, toCardView(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

function toCardView(row: CardViewRow): CardView {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    author: { id: row.author_id, handle: row.author_handle, displayName: row.author_display_name },
    tags: [...row.tags].sort(),
    likeCount: row.like_count,
    commentCount: row.comment_count,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
