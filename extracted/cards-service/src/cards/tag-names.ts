/**
 * Tags as the contract stores them: trimmed, lower-cased, duplicates collapsed, sorted ascending
 * (plain code-unit order, the same order `Array#sort` gives). A tag that is empty after trimming
 * is dropped.
 */
export function normaliseTagNames(tags: readonly string[]): string[] {
  const names = new Set(tags.map(normaliseTagName).filter((name) => name.length > 0));
  return sortTagNames([...names]);
}

/** One tag name as stored and as matched by the `tag` filter. */
export function normaliseTagName(tag: string): string {
  return tag.trim().toLowerCase();
}

export function sortTagNames(names: readonly string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
