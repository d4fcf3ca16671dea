/** Tags as stored: trimmed, lower-cased, duplicates collapsed, empty ones dropped. */
export function normaliseTags(tags: readonly string[]): string[] {
  const names = tags.map((tag) => tag.trim().toLowerCase()).filter((tag) => tag.length > 0);
  return [...new Set(names)];
}

/** The `?tag=` filter in stored form (so `?tag=TypeScript` finds `typescript`). */
export function normaliseTag(tag: string): string {
  return tag.trim().toLowerCase();
}
