/**
 * The request-path lookup: first rule whose method set and path matcher accept the request,
 * else the default rule. `path` must already be normalised (`request/normalise-path.ts`).
 * No allocation: one RegExp test per candidate rule.
 */
import type { CompiledRuleTable, RouteTarget } from './compile-rules.js';

export function matchRule(table: CompiledRuleTable, method: string, path: string): RouteTarget {
  const rules = table.rules;
  for (let index = 0; index < rules.length; index += 1) {
    const rule = rules[index];
    if (rule.methods !== null && !rule.methods.has(method)) continue;
    if (rule.matcher.regexp.test(path)) return rule;
  }
  return table.defaultRule;
}
