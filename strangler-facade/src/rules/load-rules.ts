/**
 * YAML text → validated `RoutesFile`, or a list of errors that each name the file, line, column
 * and field path, e.g.
 * `routes.yaml:14:17 rules[2].upstream: unknown upstream "cards-svc" (known: legacy, cards-service)`.
 *
 * Pure: the caller reads the file. An empty file is an error, never "no routes".
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

import { routesFileSchema, type RoutesFile } from './rule-schema.js';

export type LoadRulesResult =
  | { readonly ok: true; readonly config: RoutesFile }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Thrown by callers that want one exception carrying every validation message. */
export class RulesError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(errors.join('\n'));
    this.name = 'RulesError';
  }
}

export function loadRules(text: string, sourceName: string): LoadRulesResult {
  if (text.trim() === '') {
    return { ok: false, errors: [`${sourceName}:1:1 file is empty (refusing to load no routes)`] };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        const message = error.message.split('\n')[0] ?? error.message;
        return `${sourceName}:${position.line}:${position.col} YAML syntax: ${message}`;
      }),
    };
  }
  const data: unknown = document.toJS();
  const parsed = routesFileSchema.safeParse(data);
  if (parsed.success) return { ok: true, config: parsed.data };
  const located = parsed.error.issues.map((issue) => {
    const path = issue.path.filter((key) => typeof key !== 'symbol');
    if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
    const { line, col } = locate(document, lineCounter, path);
    const field = formatFieldPath(path);
    const message =
      issue.code === 'invalid_type' && issue.message.endsWith('received undefined')
        ? `required (${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})`
        : issue.message;
    return {
      line,
      col,
      text: `${sourceName}:${line}:${col} ${field === '' ? '(root)' : field}: ${message}`,
    };
  });
  located.sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, errors: located.map((error) => error.text) };
}

/** `['rules', 2, 'upstream']` → `rules[2].upstream`. */
export function formatFieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}

/**
 * Where `path` points in the document: the key of a map entry (so the column is the field name),
 * the item of a sequence, or, when the field is missing, the closest ancestor that exists.
 */
function locate(
  document: Document,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
): { line: number; col: number } {
  for (let depth = path.length; depth >= 1; depth -= 1) {
    const parent: unknown =
      depth === 1 ? document.contents : document.getIn(path.slice(0, depth - 1), true);
    const key = path[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(key),
      );
      if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]);
    } else if (isSeq(parent) && typeof key === 'number') {
      const item: unknown = parent.items[key];
      if (isNode(item) && item.range) return lineCounter.linePos(item.range[0]);
    }
  }
  const root: unknown = document.contents;
  return isNode(root) && root.range ? lineCounter.linePos(root.range[0]) : { line: 1, col: 1 };
}
