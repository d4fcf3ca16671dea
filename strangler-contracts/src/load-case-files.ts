/**
 * Reads contract case files (YAML) and validates them with the one schema
 * (`case-file.schema.ts`). Every problem names `file:line:column` and the field, e.g.
 * `contracts/cards/get-card.yaml:14:15 cases[1].request.method: must be one of GET, ...`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseValidatedYaml } from '../../strangler-config/validated-yaml.js';
import { caseFileSchema, type ContractCaseFile } from './case-file.schema.js';

export { formatFieldPath } from '../../strangler-config/validated-yaml.js';

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

/**
 * Parses one case file's text: the loaded file, or its problems with line numbers. Problems
 * about a value point at the value (`request: { path: cards }` → at `cards`).
 */
export function parseCaseFile(
  file: string,
  text: string,
): { loaded: LoadedCaseFile } | { problems: string[] } {
  const result = parseValidatedYaml(text, file, caseFileSchema, { pointAt: 'value' });
  if (!result.ok) return { problems: result.errors };
  return {
    loaded: {
      path: file,
      name: path.basename(file).replace(CASE_FILE, ''),
      file: result.value,
      locate: (fieldPath) => ({ file, ...result.locate(fieldPath) }),
    },
  };
}
