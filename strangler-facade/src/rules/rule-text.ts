/**
 * How a compiled rule matches, as short text (`GET`, `path /cards/:id, header x-beta=1`): for
 * `/explain`, `strangler routes list` and `routes explain`.
 */
import type { CompiledCondition } from './compile-conditions.js';
import type { CompiledRule } from './compile-rules.js';

/** `GET,POST`, or `*` for any method (HEAD is implied by GET and not shown). */
export function methodsText(rule: CompiledRule): string {
  if (!rule.methods) return '*';
  return [...rule.methods].filter((m) => m !== 'HEAD' || !rule.methods?.has('GET')).join(',');
}

/** `path /cards/:id`, `prefix /cards, cookie beta present`. */
export function matchText(rule: CompiledRule): string {
  const parts = [`${rule.matcher.kind} ${rule.matcher.pattern}`];
  const conditions = (label: string, list: readonly CompiledCondition[] | null): void => {
    for (const condition of list ?? []) parts.push(`${label} ${conditionText(condition)}`);
  };
  conditions('header', rule.headers);
  conditions('cookie', rule.cookies);
  conditions('query', rule.query);
  return parts.join(', ');
}

export function conditionText(condition: CompiledCondition): string {
  switch (condition.kind) {
    case 'equals':
      return `${condition.name}=${condition.equals}`;
    case 'present':
      return condition.present ? `${condition.name} present` : `${condition.name} absent`;
    case 'regex':
      return `${condition.name}~/${condition.regexp?.source ?? ''}/`;
  }
}
