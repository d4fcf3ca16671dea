/**
 * A rule named on the command line (`diffs --rule`, `record-cases --rule`) must be one the
 * running facade serves: otherwise the answer would be empty, which reads like "nothing compared
 * yet".
 */
import type { AdminClient } from '../admin-client.js';
import { CliError } from '../cli-io.js';

interface AdminRules {
  readonly rules?: readonly { readonly name?: string }[];
  readonly default?: { readonly name?: string } | null;
}

/** Throws (exit 1) naming the facade's rules when `rule` is not one of them. */
export async function expectKnownRule(client: AdminClient, rule: string): Promise<void> {
  const answer = await client.get<AdminRules>('/rules');
  const names = (answer.rules ?? []).flatMap((entry) => (entry.name ? [entry.name] : []));
  names.push(answer.default?.name ?? 'default');
  if (!names.includes(rule)) {
    throw new CliError([
      `facade ${client.baseUrl}: no rule named "${rule}" (rules: ${names.join(', ')})`,
    ]);
  }
}
