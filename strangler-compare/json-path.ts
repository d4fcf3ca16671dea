/**
 * The small JSONPath subset used to name places in a JSON body: parsing (once, when options are
 * compiled) and formatting (when a difference is reported).
 *
 * Syntax (a subset of RFC 9535):
 *
 * | form        | meaning                                                        |
 * |-------------|----------------------------------------------------------------|
 * | `$`         | the root; every path starts with it                            |
 * | `.name`     | member `name` (letters, digits, `_`, `$`; not starting with a digit) |
 * | `['name']`  | member `name`, any characters (`\\` and `\'` escape; `"…"` too)  |
 * | `[n]`       | array element `n` (0-based, no negatives)                      |
 * | `[*]`, `.*` | every member of an object / every element of an array          |
 * | `..name`    | member `name` at any depth below (also `..*`, `..[n]`, `..['x']`) |
 *
 * A formatted path round-trips: the normalised path of a reported difference
 * (`$.items[*].updatedAt`) can be pasted into `ignore` as-is.
 */

/** One step of a compiled path. `descendant` steps (from `..`) may skip any number of levels. */
export type PathStep =
  | { readonly kind: 'member'; readonly name: string; readonly descendant: boolean }
  | { readonly kind: 'index'; readonly index: number; readonly descendant: boolean }
  | { readonly kind: 'any'; readonly descendant: boolean };

/** A concrete location: member names and array indices from the root. */
export type PathSegment = string | number;

export class JsonPathSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly position: number,
    reason: string,
  ) {
    super(`invalid path "${expression}" at character ${position + 1}: ${reason}`);
    this.name = 'JsonPathSyntaxError';
  }
}

export const JSON_PATH_HELP =
  "paths start with $ and use .name, ['name'], [n], [*], .* and ..name (recursive), " +
  'e.g. $.items[*].updatedAt or $..etag';

const NAME_START = /[A-Za-z_$]/;
const NAME_CHAR = /[A-Za-z0-9_$]/;
const SHORTHAND_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const DIGIT = /[0-9]/;

/** Parses a path expression into steps; throws `JsonPathSyntaxError` with the position. */
export function parseJsonPath(expression: string): PathStep[] {
  const fail = (position: number, reason: string): never => {
    throw new JsonPathSyntaxError(expression, position, reason);
  };
  if (expression[0] !== '$') fail(0, 'a path starts with "$"');
  const steps: PathStep[] = [];
  let at = 1;
  while (at < expression.length) {
    const char = expression[at];
    let descendant = false;
    if (char === '.' && expression[at + 1] === '.') {
      descendant = true;
      at += 2;
      if (expression[at] === '[') {
        at = parseBracket(at, descendant);
        continue;
      }
    } else if (char === '.') {
      at += 1;
    } else if (char === '[') {
      at = parseBracket(at, descendant);
      continue;
    } else {
      fail(at, `expected ".", ".." or "[", found "${char ?? ''}"`);
    }
    // After "." or "..": a shorthand name or "*".
    if (expression[at] === '*') {
      steps.push({ kind: 'any', descendant });
      at += 1;
      continue;
    }
    const start = at;
    if (!NAME_START.test(expression[at] ?? '')) {
      fail(at, 'expected a name or "*" (use [\'...\'] for other characters)');
    }
    while (at < expression.length && NAME_CHAR.test(expression[at] ?? '')) at += 1;
    steps.push({ kind: 'member', name: expression.slice(start, at), descendant });
  }
  return steps;

  /** Parses `[...]` starting at the "["; returns the position after the "]". */
  function parseBracket(open: number, descendant: boolean): number {
    let at = open + 1;
    const char = expression[at];
    if (char === '*') {
      steps.push({ kind: 'any', descendant });
      at += 1;
    } else if (char === "'" || char === '"') {
      const quote = char;
      let name = '';
      at += 1;
      for (;;) {
        const c = expression[at];
        if (c === undefined) return fail(open, 'unterminated quoted name');
        if (c === quote) break;
        if (c === '\\') {
          const escaped = expression[at + 1];
          if (escaped === undefined) return fail(at, 'unterminated escape');
          name += escaped;
          at += 2;
        } else {
          name += c;
          at += 1;
        }
      }
      at += 1;
      steps.push({ kind: 'member', name, descendant });
    } else if (char !== undefined && DIGIT.test(char)) {
      const start = at;
      while (DIGIT.test(expression[at] ?? '')) at += 1;
      const digits = expression.slice(start, at);
      if (digits.length > 1 && digits.startsWith('0')) fail(start, 'no leading zeros in an index');
      const index = Number(digits);
      if (!Number.isSafeInteger(index)) fail(start, 'index too large');
      steps.push({ kind: 'index', index, descendant });
    } else {
      fail(
        at,
        'expected an index, "*" or a quoted name inside [...] (negative indices and filters are not supported)',
      );
    }
    if (expression[at] !== ']') fail(at, 'expected "]"');
    return at + 1;
  }
}

/** Why `expression` is not a valid path, or null when it is (for schema validation). */
export function jsonPathProblem(expression: string): string | null {
  try {
    parseJsonPath(expression);
    return null;
  } catch (error) {
    if (error instanceof JsonPathSyntaxError) return error.message;
    throw error;
  }
}

function formatMember(name: string): string {
  if (SHORTHAND_NAME.test(name)) return `.${name}`;
  return `['${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/** `$.items[3].likeCount`: the concrete form of a location. */
export function formatConcretePath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of segments) {
    out += typeof segment === 'number' ? `[${segment}]` : formatMember(segment);
  }
  return out;
}

/** `$.items[*].likeCount`: the location with every array index replaced by `[*]`. */
export function formatNormalisedPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of segments) {
    out += typeof segment === 'number' ? '[*]' : formatMember(segment);
  }
  return out;
}

/** Appends one segment to an already formatted path (concrete form). */
export function appendSegment(path: string, segment: PathSegment): string {
  return path + (typeof segment === 'number' ? `[${segment}]` : formatMember(segment));
}
