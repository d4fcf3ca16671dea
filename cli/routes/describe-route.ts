/**
 * One rule as short text cells for `routes list`: how it matches (the facade's own rule-text),
 * where it sends traffic (primary, canary share, shadow copy, fallback).
 */
import type {
  CompiledCanary,
  CompiledFallback,
  CompiledShadow,
} from '../../strangler-facade/src/rules/compile-rules.js';
import { stickyText } from '../../strangler-facade/src/routing/sticky-bucket.js';

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
