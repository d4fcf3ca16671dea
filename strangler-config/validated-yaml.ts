/**
 * The config loader: YAML text → a value validated by a zod schema, or every problem as
 * `file:line:col field.path: message`, e.g.
 * `routes.yaml:14:17 rules[2].upstream: unknown upstream "cards-svc" (known: legacy, cards-service)`.
 *
 * Pure: the caller reads the file. Loader-specific checks stay in the loaders; this module only
 * parses, validates and places each problem in the source.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** A field path as zod reports it: `['rules', 2, 'upstream']`. Symbols are ignored. */
export type FieldPath = readonly PropertyKey[];

/** 1-based line and column in the source text. */
export interface YamlPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * One problem, placed in the source. `kind` says how it reads: `field` problems name their
 * field (`(root)` for the whole file), `syntax` problems are YAML errors, `file` problems are
 * about the file as a whole (an empty file).
 */
export interface YamlProblem extends YamlPosition {
  readonly kind: 'field' | 'syntax' | 'file';
  /** `rules[2].upstream`; empty for the root and for syntax and file problems. */
  readonly field: string;
  readonly message: string;
}

/** Where a problem points for a field that exists: its key (the default) or its value. */
export type PointAt = 'key' | 'value';

export interface ParseValidatedYamlOptions {
  /** When set, a blank file is refused with this message instead of being validated. */
  readonly emptyMessage?: string;
  /** Field problems point at the key of a map entry (default) or at its value. */
  readonly pointAt?: PointAt;
}

/** A zod schema, or anything with the same `safeParse` (e.g. a schema plus defaults). */
export interface YamlValidator<T> {
  safeParse(
    input: unknown,
  ):
    | { readonly success: true; readonly data: T }
    | { readonly success: false; readonly error: { readonly issues: readonly z.core.$ZodIssue[] } };
}

export type ValidatedYaml<T> =
  | {
      readonly ok: true;
      readonly value: T;
      readonly document: Document;
      /** Where `path` is written (see `locateOffset`). */
      locate(path: FieldPath): YamlPosition;
    }
  | {
      readonly ok: false;
      /** Each problem as `file:line:col field: message`, sorted by position. */
      readonly errors: string[];
      readonly problems: YamlProblem[];
    };

/**
 * Parses `text` (duplicate keys are errors) and validates it with `schema`. `sourceName` is
 * the file name used in the messages.
 */
export function parseValidatedYaml<T>(
  text: string,
  sourceName: string,
  schema: YamlValidator<T>,
  options: ParseValidatedYamlOptions = {},
): ValidatedYaml<T> {
  if (options.emptyMessage !== undefined && text.trim() === '') {
    return failure(sourceName, [
      { kind: 'file', line: 1, column: 1, field: '', message: options.emptyMessage },
    ]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): YamlPosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (document.errors.length > 0) {
    return failure(
      sourceName,
      document.errors.map((error) => ({
        kind: 'syntax',
        ...position(error.pos[0]),
        field: '',
        message: firstLine(error.message),
      })),
    );
  }
  const pointAt = options.pointAt ?? 'key';
  const parsed = schema.safeParse(document.toJS());
  if (parsed.success) {
    return {
      ok: true,
      value: parsed.data,
      document,
      locate: (path) => position(locateOffset(document, path, pointAt)),
    };
  }
  return failure(
    sourceName,
    parsed.error.issues.flatMap((issue) =>
      describeIssue(issue).map(({ path, message, at }) => ({
        kind: 'field' as const,
        ...position(locateOffset(document, path, at ?? pointAt)),
        field: formatFieldPath(path),
        message,
      })),
    ),
  );
}

/** `file:line:col field: message` (`(root)` when the field is the whole file). */
export function formatYamlProblem(
  sourceName: string,
  problem: YamlPosition & {
    readonly field: string;
    readonly message: string;
    readonly kind?: YamlProblem['kind'];
  },
): string {
  const at = `${sourceName}:${problem.line}:${problem.column}`;
  switch (problem.kind) {
    case 'file':
      return `${at} ${problem.message}`;
    case 'syntax':
      return `${at} YAML syntax: ${problem.message}`;
    default:
      return `${at} ${problem.field === '' ? '(root)' : problem.field}: ${problem.message}`;
  }
}

/** `['rules', 2, 'upstream']` → `rules[2].upstream`; `[]` → `''`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string') out += out === '' ? key : `.${key}`;
  }
  return out;
}

/**
 * Offset of where `path` is written: the key of a map entry (or its value, with
 * `pointAt: 'value'`), the item of a sequence, or, when the field is missing, the same for the
 * closest ancestor that exists; the document itself when nothing on the path exists.
 */
export function locateOffset(
  document: Document,
  path: FieldPath,
  pointAt: PointAt = 'key',
): number {
  const keys = path.filter(
    (key): key is string | number => typeof key === 'string' || typeof key === 'number',
  );
  for (let depth = keys.length; depth >= 1; depth -= 1) {
    const parent: unknown =
      depth === 1 ? document.contents : document.getIn(keys.slice(0, depth - 1), true);
    const key = keys[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(key),
      );
      if (pair) {
        if (pointAt === 'value' && isNode(pair.value) && pair.value.range) {
          return pair.value.range[0];
        }
        if (isNode(pair.key) && pair.key.range) return pair.key.range[0];
      }
    } else if (isSeq(parent) && typeof key === 'number') {
      const item: unknown = parent.items[key];
      if (isNode(item) && item.range) return item.range[0];
    }
  }
  const root: unknown = document.contents;
  return isNode(root) && root.range ? root.range[0] : 0;
}

/**
 * One zod issue → the fields it is about and their messages. An unknown key is one problem per
 * key, placed at the key; a missing field reads `required (expected string)`.
 */
function describeIssue(
  issue: z.core.$ZodIssue,
): { path: FieldPath; message: string; at?: PointAt }[] {
  const path = issue.path.filter((key) => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key],
      message: `Unrecognized key: "${key}"`,
      at: 'key',
    }));
  }
  const message =
    issue.code === 'invalid_type' && issue.message.endsWith('received undefined')
      ? `required (${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})`
      : issue.message;
  return [{ path, message }];
}

function failure(sourceName: string, problems: YamlProblem[]): ValidatedYaml<never> {
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
  return {
    ok: false,
    errors: sorted.map((problem) => formatYamlProblem(sourceName, problem)),
    problems: sorted,
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
