/**
 * Which routes.yaml a command works on (`--file`, else `STRANGLER_ROUTES_FILE`, else
 * `./routes.yaml`, as the facade itself), and reading it into the facade's compiled table.
 */
import path from 'node:path';

import { RulesError } from '../../strangler-facade/src/rules/load-rules.js';
import type { CompiledRuleTable } from '../../strangler-facade/src/rules/compile-rules.js';
import { readRulesFile } from '../../strangler-facade/src/rules/read-rules-file.js';
import type { CliIo } from '../cli-io.js';

export interface RoutesFileRef {
  /** Absolute path. */
  readonly path: string;
  /** As the user wrote it: used in messages (`routes.yaml:12:5 ...`). */
  readonly name: string;
}

export function routesFileRef(option: string | undefined, io: CliIo): RoutesFileRef {
  const name = option ?? io.env.STRANGLER_ROUTES_FILE ?? 'routes.yaml';
  return { path: path.resolve(io.cwd, name), name };
}

/**
 * The compiled table of a rules file, exactly as the facade would load it (environment URL
 * overrides included when `env` is given).
 * @throws RulesError with every `file:line:col` message
 */
export async function loadRoutesTable(
  file: RoutesFileRef,
  env: CliIo['env'] = {},
): Promise<{ table: CompiledRuleTable; hash: string }> {
  const result = await readRulesFile(file.path, file.name, env);
  if (!result.ok) throw new RulesError(result.errors);
  return { table: result.table, hash: result.hash };
}
