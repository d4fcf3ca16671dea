import { EntityManager } from 'typeorm';

/**
 * Replaces the tag set of a card with `names` (already normalised): creates missing tags, then
 * relinks. Concurrent writers creating the same tag meet on the unique name, not on an error.
 */
export async function replaceCardTags(
  manager: EntityManager,
  cardId: string,
  names: readonly string[],
): Promise<void> {
  await manager.query(`DELETE FROM card_tags WHERE card_id = $1`, [cardId]);
  if (names.length === 0) return;
  await manager.query(
    `INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`,
    [names],
  );
  await manager.query(
    `INSERT INTO card_tags (card_id, tag_id) SELECT $1, id FROM tags WHERE name = ANY($2::text[])`,
    [cardId, names],
  );
}
