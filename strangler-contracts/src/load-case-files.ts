/**
 * Reads contract case files (YAML) and validates them with the one schema
 * (`case-file.schema.ts`). Every problem names `file:line:column` and the field, e.g.
 * `contracts/cards/get-card.yaml:14:15 cases[1].request.method: must be one of GET, ...`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { caseFileSchema, type ContractCaseFile } from './case-file.schema.js';

/** A place in a case file (1-based line and column). */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One validated case file and a way back to the source of any of its fields. */
export interface LoadedCaseFile {
  /** The path as found (relative to the working directory when given relatively). */
  readonly path: string;
  /** File name without extension: the summary's rule name (`get-card`). */
  readonly name: string;
  readonly file: ContractCaseFile;
  /** Where a field is written (`['cases', 0, 'request', 'path']`), or the nearest parent. */
  locate(fieldPath: readonly PropertyKey[]): SourcePosition;
}

/** Every problem found in the case files, each with its `file:line:column`. */
export class ContractCasesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid contract cases:\n  ${problems.join('\n  ')}`);
    this.name = 'ContractCasesError';
  }
}

/** Files named `*.vars.yaml` / `*.vars.yml` hold variables, not cases. */
const CASE_FILE = /\.ya?ml$/i;
const VARS_FILE = /\.vars\.ya?ml$/i;

/** The case files under `target` (a file or a directory, searched recursively), sorted. */
export async function findCaseFiles(target: string): Promise<string[]> {
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    throw new ContractCasesError([
      `${target}: ${error.code === 'ENOENT' ? 'not found' : error.message}`,
    ]);
  });
  if (info.isFile()) return [target];
  const entries = await readdir(target, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && CASE_FILE.test(entry.name) && !VARS_FILE.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  if (files.length === 0) throw new ContractCasesError([`${target}: no *.yaml case files`]);
  return files;
}

/** Loads and validates every case file under each target; throws `ContractCasesError`. */
export async function loadCaseFiles(targets: readonly string[]): Promise<LoadedCaseFile[]> {
  const problems: string[] = [];
  const loaded: LoadedCaseFile[] = [];
  for (const target of targets) {
    let files: string[];
    try {
      files = await findCaseFiles(target);
    } catch (error) {
      if (!(error instanceof ContractCasesError)) throw error;
      problems.push(...error.problems);
      continue;
    }
    for (const file of files) {
      const result = parseCaseFile(file, await readFile(file, 'utf8'));
      if ('problems' in result) problems.push(...result.problems);
      else loaded.push(result.loaded);
    }
  }
  if (problems.length > 0) throw new ContractCasesError(problems);
  return loaded;
}

/** Parses one case file's text: the loaded file, or its problems with line numbers. */
export function parseCaseFile(
  file: string,
  text: string,
): { loaded: LoadedCaseFile } | { problems: string[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const where = (position: SourcePosition) =>
    `${position.file}:${position.line}:${position.column}`;

  if (document.errors.length > 0) {
    return {
      problems: document.errors.map(
        (error) => `${where(at(error.pos[0]))}: YAML: ${firstLine(error.message)}`,
      ),
    };
  }
  const locate = (fieldPath: readonly PropertyKey[], atKey = false): SourcePosition =>
    at(nodeOffset(document, fieldPath, atKey));
  const parsed = caseFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.flatMap((issue) => describeIssue(issue, locate, where)),
    };
  }
  return {
    loaded: {
      path: file,
      name: path.basename(file).replace(CASE_FILE, ''),
      file: parsed.data,
      locate,
    },
  };
}

function describeIssue(
  issue: z.core.$ZodIssue,
  locate: (fieldPath: readonly PropertyKey[], atKey?: boolean) => SourcePosition,
  where: (position: SourcePosition) => string,
): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const fieldPath = [...issue.path, key];
      return `${where(locate(fieldPath, true))} ${formatFieldPath(fieldPath)}: unknown field`;
    });
  }
  const field = issue.path.length > 0 ? formatFieldPath(issue.path) : '(file)';
  return [`${where(locate(issue.path))} ${field}: ${issue.message}`];
}

/** `cases[1].request.method`. */
export function formatFieldPath(fieldPath: readonly PropertyKey[]): string {
  return fieldPath
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`,
    )
    .join('');
}

/** Offset of the node at `fieldPath`; a map key when the path ends at a key; else the parent. */
function nodeOffset(document: Document, fieldPath: readonly PropertyKey[], atKey: boolean): number {
  const keys = fieldPath.filter(
    (key): key is string | number => typeof key === 'string' || typeof key === 'number',
  );
  for (let length = keys.length; length > 0; length--) {
    const node: unknown =
      atKey && length === keys.length ? undefined : document.getIn(keys.slice(0, length), true);
    if (isNode(node) && node.range) return node.range[0];
    // A key with a null value, or an unknown key: point at the key itself.
    const parent: unknown = document.getIn(keys.slice(0, length - 1), true);
    if (isMap(parent)) {
      const pair = parent.items.find(
        (item) => isNode(item.key) && (item.key as { value?: unknown }).value === keys[length - 1],
      );
      if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
    }
  }
  const root = document.contents;
  return isNode(root) && root.range ? root.range[0] : 0;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
