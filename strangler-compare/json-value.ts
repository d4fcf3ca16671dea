/**
 * Small helpers over parsed JSON values: their JSON type, and a bounded preview (the first
 * `maxChars` characters of the value's JSON text, produced without serialising the whole value).
 */

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

/** The JSON type of a parsed value (`undefined` and functions do not occur after JSON.parse). */
export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

export const ELLIPSIS = '…';

/**
 * JSON text of `value`, cut to at most `maxChars` characters (plus "…" when cut). Walks only as
 * much of the value as it prints, so a preview of a large subtree is cheap.
 */
export function previewJson(value: unknown, maxChars: number): string {
  const out: string[] = [];
  let length = 0;
  let cut = false;
  const write = (text: string): boolean => {
    if (length + text.length > maxChars) {
      out.push(text.slice(0, Math.max(0, maxChars - length)));
      length = maxChars;
      cut = true;
      return false;
    }
    out.push(text);
    length += text.length;
    return true;
  };
  const visit = (node: unknown): boolean => {
    if (node === null || typeof node !== 'object') {
      return write(node === undefined ? 'null' : (JSON.stringify(node) ?? 'null'));
    }
    if (Array.isArray(node)) {
      if (!write('[')) return false;
      for (let i = 0; i < node.length; i++) {
        if (i > 0 && !write(',')) return false;
        if (!visit(node[i])) return false;
      }
      return write(']');
    }
    if (!write('{')) return false;
    let first = true;
    for (const key of Object.keys(node)) {
      if (!first && !write(',')) return false;
      first = false;
      if (!write(`${JSON.stringify(key)}:`)) return false;
      if (!visit((node as Record<string, unknown>)[key])) return false;
    }
    return write('}');
  };
  visit(value);
  return cut ? out.join('') + ELLIPSIS : out.join('');
}

/** Cuts a string to `maxChars` characters, marking the cut with "…". */
export function truncateText(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : text.slice(0, maxChars) + ELLIPSIS;
}
