/**
 * YAML text → validated `RoutesFile`, or a list of errors that each name the file, line, column
 * and field path, e.g.
 * `routes.yaml:14:17 rules[2].upstream: unknown upstream "cards-svc" (known: legacy, cards-service)`.
 *
 * Pure: the caller reads the file. An empty file is an error, never "no routes".
 */
import { parseValidatedYaml } from '../../../strangler-config/validated-yaml.js';
import { routesFileSchema, type RoutesFile } from './rule-schema.js';

export { formatFieldPath } from '../../../strangler-config/validated-yaml.js';

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
  const result = parseValidatedYaml(text, sourceName, routesFileSchema, {
    emptyMessage: 'file is empty (refusing to load no routes)',
  });
  return result.ok ? { ok: true, config: result.value } : { ok: false, errors: result.errors };
}
