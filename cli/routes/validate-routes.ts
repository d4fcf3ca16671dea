/**
 * `strangler routes validate <file...>`: the facade's own loader and compiler, offline, for CI and
 * pre-commit hooks. Every problem is one `file:line:col field: message` line on stderr (exit 1);
 * a valid file is one summary line on stdout (exit 0).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { parseRulesText } from '../../strangler-facade/src/rules/read-rules-file.js';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../cli-io.js';

export interface ValidateOptions {
  /** Also apply `STRANGLER_UPSTREAM_<NAME>_URL` overrides from the environment. */
  readonly env?: boolean;
  /** `text` (default) or `github` (workflow commands: annotations on the pull request). */
  readonly format?: 'text' | 'github';
}

const LOCATED = /^(.*?):(\d+):(\d+) (.*)$/;

/** A `file:line:col message` line as a GitHub Actions error annotation. */
export function githubAnnotation(message: string, file: string): string {
  const escape = (text: string, property = false): string => {
    let out = text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    if (property) out = out.replace(/:/g, '%3A').replace(/,/g, '%2C');
    return out;
  };
  const located = LOCATED.exec(message);
  if (!located) return `::error file=${escape(file, true)}::${escape(message)}`;
  const [, name = file, line = '1', col = '1', text = ''] = located;
  return `::error file=${escape(name, true)},line=${line},col=${col}::${escape(text)}`;
}

export async function validateRoutes(
  files: readonly string[],
  options: ValidateOptions,
  io: CliIo,
): Promise<number> {
  let exitCode = EXIT_OK;
  const report = (message: string, file: string): void =>
    options.format === 'github'
      ? io.out(githubAnnotation(message, file) + '\n')
      : io.err(message + '\n');
  for (const name of files) {
    let text: string;
    try {
      text = await readFile(path.resolve(io.cwd, name), 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code;
      report(`${name}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}`, name);
      exitCode = EXIT_FAILED;
      continue;
    }
    const result = parseRulesText(text, name, options.env ? io.env : {});
    if (!result.ok) {
      for (const message of result.errors) report(message, name);
      exitCode = EXIT_FAILED;
      continue;
    }
    const { table } = result;
    const all = [...table.rules, table.defaultRule];
    const count = (what: 'canary' | 'shadow' | 'fallback') =>
      all.filter((rule) => rule[what] !== null).length;
    io.out(
      `${name}: valid (${table.rules.length} rules + default, ${table.upstreams.length} upstreams; ` +
        `canary ${count('canary')}, shadow ${count('shadow')}, fallback ${count('fallback')}; ` +
        `${result.hash})\n`,
    );
  }
  return exitCode;
}
