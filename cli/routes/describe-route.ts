/**
 * One rule as short text cells for `routes list` and `routes explain`: how it matches, where it
 * sends traffic (primary, canary share, shadow copy, fallback).
 */
import type { CompiledCondition } from '../../strangler-facade/src/rules/compile-conditions.js';
import type {
  CompiledCanary,
  CompiledFallback,
  CompiledRule,
  CompiledShadow,
} from '../../strangler-facade/src/rules/compile-rules.js';
import { stickyText } from '../../strangler-facade/src/routing/sticky-bucket.js';

export function methodsText(rule: CompiledRule): string {
  if (!rule.methods) return '*';
  return [...rule.methods].filter((m) => m !== 'HEAD' || !rule.methods?.has('GET')).join(',');
}

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

export function canaryText(canary: CompiledCanary | null): string {
  if (!canary) return '-';
  const sticky = stickyText(canary.stickyBy);
  const rollout = canary.rollout ? ', rollout' : '';
  return `${canary.upstream.name} ${canary.percent}% (by ${sticky}${rollout})`;
}

export function shadowText(shadow: CompiledShadow | null): string {
  return shadow ? `${shadow.upstream.name} ${shadow.percent}%` : '-';
}

export function fallbackText(fallback: CompiledFallback | null): string {
  if (!fallback) return '-';
  const on = [
    fallback.onConnectError && 'connect-error',
    fallback.onTimeout && 'timeout',
    fallback.on5xx && '5xx',
  ].filter(Boolean);
  return `${fallback.upstream.name} on ${on.join(',')}`;
}
