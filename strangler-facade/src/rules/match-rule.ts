/**
 * The request-path lookup: first rule whose method set, path matcher and header / cookie / query
 * conditions accept the request, else the default rule. `path` must already be normalised
 * (`request/normalise-path.ts`). Rules without conditions cost one RegExp test; conditions read
 * through `RequestFacts` (lazy cookie and query parsing). Without facts, every condition sees an
 * absent value.
 */
import type { RequestFacts } from '../request/request-facts.js';
import type { CompiledRule, CompiledRuleTable, RouteTarget } from './compile-rules.js';
import { conditionHolds } from './compile-conditions.js';

export function matchRule(
  table: CompiledRuleTable,
  method: string,
  path: string,
  facts?: RequestFacts,
): RouteTarget {
  const rules = table.rules;
  for (let index = 0; index < rules.length; index += 1) {
    const rule = rules[index];
    if (rule.methods !== null && !rule.methods.has(method)) continue;
    if (!rule.matcher.regexp.test(path)) continue;
    if (conditionsHold(rule, facts)) return rule;
  }
  return table.defaultRule;
}

function conditionsHold(rule: CompiledRule, facts: RequestFacts | undefined): boolean {
  if (rule.headers !== null) {
    for (const condition of rule.headers) {
      if (!conditionHolds(condition, facts?.header(condition.name, condition.internal))) {
        return false;
      }
    }
  }
  if (rule.cookies !== null) {
    for (const condition of rule.cookies) {
      if (!conditionHolds(condition, facts?.cookie(condition.name))) return false;
    }
  }
  if (rule.query !== null) {
    for (const condition of rule.query) {
      if (!conditionHolds(condition, facts?.query(condition.name))) return false;
    }
  }
  return true;
}
