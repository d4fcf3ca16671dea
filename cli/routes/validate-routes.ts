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
}

export async function validateRoutes(
  files: readonly string[],
  options: ValidateOptions,
  io: CliIo,
): Promise<number> {
  let exitCode = EXIT_OK;
  for (const name of files) {
    let text: string;
    try {
      text = await readFile(path.resolve(io.cwd, name), 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code;
      io.err(`${name}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}\n`);
      exitCode = EXIT_FAILED;
      continue;
    }
    const result = parseRulesText(text, name, options.env ? io.env : {});
    if (!result.ok) {
      for (const message of result.errors) io.err(message + '\n');
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
