import { EntityManager } from 'typeorm';
import { CardNotFoundException } from './card-not-found.exception.js';

/** How a write locks the card row it depends on. */
export type CardLock = 'none' | 'key share' | 'update';

/**
 * The author of a published card, or a 404 when it is missing or hidden. With a lock, the row
 * stays put until the surrounding transaction ends (`key share` keeps it from being deleted,
 * `update` also from being changed).
 */
export async function findPublishedCardAuthorId(
  manager: EntityManager,
  id: string,
  lock: CardLock = 'none',
): Promise<string> {
  const lockClause = lock === 'none' ? '' : ` FOR ${lock.toUpperCase()}`;
  const rows: { author_id: string }[] = await manager.query(
    `SELECT author_id FROM cards WHERE id = $1 AND status = 'published'${lockClause}`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new CardNotFoundException(id);
  return row.author_id;
}
