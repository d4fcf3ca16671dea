/**
 * Variables for `${name}` references: a vars file (YAML or JSON, a flat map of names to
 * values, e.g. tokens) and `--var name=value` assignments, which win.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseValidatedYaml } from '../../strangler-config/validated-yaml.js';
import { ContractCasesError } from './load-case-files.js';
import { VARIABLE_NAME } from './variables.js';

export async function loadVarsFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ContractCasesError([
      `${file}: cannot read the vars file: ${(error as Error).message}`,
    ]);
  }
  return parseVars(file, text);
}

export function parseVars(file: string, text: string): Record<string, unknown> {
  const result = parseValidatedYaml(text, file, z.unknown());
  if (!result.ok) throw new ContractCasesError(result.errors);
  const value = result.value;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ContractCasesError([`${file}: a vars file is a map of names to values`]);
  }
  const problems = Object.keys(value)
    .filter((name) => !VARIABLE_NAME.test(name))
    .map((name) => `${file}: "${name}" is not a variable name (letters, digits, _)`);
  if (problems.length > 0) throw new ContractCasesError(problems);
  return value as Record<string, unknown>;
}

/** `['memberToken=abc', 'page=2']` → `{ memberToken: 'abc', page: '2' }`. */
export function parseVarAssignments(assignments: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  const problems: string[] = [];
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    const name = equals > 0 ? assignment.slice(0, equals) : '';
    if (!VARIABLE_NAME.test(name)) problems.push(`--var ${assignment}: expected name=value`);
    else vars[name] = assignment.slice(equals + 1);
  }
  if (problems.length > 0) throw new ContractCasesError(problems);
  return vars;
}
