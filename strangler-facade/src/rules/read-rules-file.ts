/**
 * The one place that reads `routes.yaml` from disk: file → text → validated config → compiled
 * table, with the content hash that identifies this version of the file. A missing, empty or
 * unreadable file is an error like any other: it never means "no routes".
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { compileRules, type CompiledRuleTable } from './compile-rules.js';
import { loadRules } from './load-rules.js';

export type RulesFileResult =
  | { readonly ok: true; readonly table: CompiledRuleTable; readonly hash: string }
  | { readonly ok: false; readonly errors: readonly string[]; readonly hash: string | null };

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export async function readRulesFile(
  file: string,
  sourceName: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RulesFileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, errors: [readErrorMessage(error, sourceName)], hash: null };
  }
  return parseRulesText(text, sourceName, env);
}

/** What to tell the operator when the file could not be read at all. */
export function readErrorMessage(error: unknown, sourceName: string): string {
  const code = (error as { code?: unknown }).code;
  const reason =
    code === 'ENOENT' ? 'file not found (deleted or renamed?)' : (error as Error).message;
  return `${sourceName}: ${reason}`;
}

export function parseRulesText(
  text: string,
  sourceName: string,
  env: Readonly<Record<string, string | undefined>>,
): RulesFileResult {
  const hash = contentHash(text);
  const loaded = loadRules(text, sourceName);
  if (!loaded.ok) return { ok: false, errors: loaded.errors, hash };
  const compiled = compileRules(loaded.config, env);
  if (!compiled.ok) {
    return { ok: false, errors: compiled.errors.map((error) => `${sourceName}: ${error}`), hash };
  }
  return { ok: true, table: compiled.table, hash };
}
