/**
 * `match.headers` / `match.cookies` / `match.query` → flat condition lists, compiled once at load
 * (lower-cased header names, RegExps built). Evaluated by `match-rule.ts` through
 * `RequestFacts`, which parses cookies and the query string only when a rule asks.
 */
import { isInternalHeader } from '../request/forwarded-headers.js';
import type { ConditionConfig } from './rule-schema.js';

export interface CompiledCondition {
  /** Header names lower-cased; cookie and query names as written (they are case-sensitive). */
  readonly name: string;
  readonly kind: 'equals' | 'present' | 'regex';
  readonly equals: string;
  /** For `present`: whether the value must be present (true) or absent (false). */
  readonly present: boolean;
  readonly regexp: RegExp | null;
  /** An internal header: it only counts when the client is trusted. */
  readonly internal: boolean;
}

export function compileConditions(
  conditions: Readonly<Record<string, ConditionConfig>> | undefined,
  internalHeaders: ReadonlySet<string> | null,
  lowerCaseNames: boolean,
): readonly CompiledCondition[] | null {
  if (conditions === undefined) return null;
  const compiled = Object.entries(conditions).map(([written, condition]) => {
    const name = lowerCaseNames ? written.toLowerCase() : written;
    const base = {
      name,
      equals: '',
      present: true,
      regexp: null,
      internal: internalHeaders !== null && isInternalHeader(name, internalHeaders),
    };
    if ('equals' in condition)
      return Object.freeze({ ...base, kind: 'equals', equals: condition.equals } as const);
    if ('present' in condition)
      return Object.freeze({ ...base, kind: 'present', present: condition.present } as const);
    return Object.freeze({ ...base, kind: 'regex', regexp: new RegExp(condition.regex) } as const);
  });
  return compiled.length > 0 ? Object.freeze(compiled) : null;
}

/** Whether `value` (undefined = absent) satisfies `condition`. */
export function conditionHolds(condition: CompiledCondition, value: string | undefined): boolean {
  switch (condition.kind) {
    case 'present':
      return (value !== undefined) === condition.present;
    case 'equals':
      return value === condition.equals;
    case 'regex':
      return value !== undefined && (condition.regexp as RegExp).test(value);
  }
}
