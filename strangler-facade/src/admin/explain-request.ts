/**
 * `GET /explain`: what the data plane would do with a described request, without sending it:
 * the rule, the upstream (after the canary split), the sticky bucket, whether it would be
 * shadowed (method-wise; the shadow percentage is sampled per request), the fallback, and the
 * circuit state. Every described client counts as trusted unless `trusted=false` is given.
 *
 *   /explain?method=GET&path=/cards/1&header=x-user-id:42&cookie=beta:1&query=preview=1
 */
import type { IncomingHttpHeaders } from 'node:http';

import { RequestFacts } from '../request/request-facts.js';
import { normaliseTarget, semicolonRefusal } from '../request/normalise-path.js';
import type { CircuitBreakers } from '../resilience/circuit-breaker.js';
import type { CompiledRuleTable } from '../rules/compile-rules.js';
import { matchRule } from '../rules/match-rule.js';
import { chooseUpstream, type UpstreamChoice } from '../routing/choose-upstream.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function explainRequest(
  table: CompiledRuleTable,
  url: URL,
  breakers: CircuitBreakers | null,
): Record<string, unknown> {
  const params = url.searchParams;
  const method = (params.get('method') ?? 'GET').toUpperCase();
  const headers: IncomingHttpHeaders = {};
  for (const entry of params.getAll('header')) {
    const colon = entry.indexOf(':');
    if (colon > 0)
      headers[entry.slice(0, colon).trim().toLowerCase()] = entry.slice(colon + 1).trim();
  }
  const cookies = params.getAll('cookie').map((entry) => {
    const colon = entry.indexOf(':');
    return colon > 0 ? `${entry.slice(0, colon)}=${entry.slice(colon + 1)}` : entry;
  });
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  const query = new URLSearchParams();
  for (const entry of params.getAll('query')) {
    const equals = entry.indexOf('=');
    query.append(
      equals < 0 ? entry : entry.slice(0, equals),
      equals < 0 ? '' : entry.slice(equals + 1),
    );
  }
  const search = query.size > 0 ? `?${query.toString()}` : '';
  const target = normaliseTarget(params.get('path') ?? '/');
  if (!target.ok) return { error: 'bad_request', message: target.reason };
  const facts = new RequestFacts(
    headers,
    search || target.search,
    params.get('trusted') !== 'false',
    params.get('client') ?? '127.0.0.1',
  );
  const route = matchRule(table, method, target.path, facts);
  if (target.semicolon && !route.allowSemicolons) {
    return { error: 'bad_request', rule: route.name, message: semicolonRefusal(route.name) };
  }
  const choice: UpstreamChoice = {
    upstream: route.upstream,
    canary: false,
    bucket: -1,
    forced: false,
  };
  chooseUpstream(table, route, facts, choice);
  const now = Date.now();
  const shadow = route.shadow;
  return {
    method,
    path: target.path,
    rule: route.name,
    upstream: choice.upstream.name,
    forced: choice.forced,
    canary:
      route.canary === null
        ? null
        : {
            upstream: route.canary.upstream.name,
            percent: route.canary.percent,
            stickyBy: route.canary.stickyKind,
            bucket: choice.bucket,
            chosen: choice.canary,
          },
    shadow:
      shadow !== null &&
      shadow.upstream !== choice.upstream &&
      (SAFE.has(method) || shadow.sideEffectFree),
    shadowUpstream: shadow?.upstream.name ?? null,
    fallback:
      route.fallback === null
        ? null
        : { upstream: route.fallback.upstream.name, retryBudget: route.fallback.retryBudget },
    circuit:
      breakers?.for(choice.upstream).isOpen(now) === true
        ? 'open'
        : (breakers?.states()[choice.upstream.name] ?? 'closed'),
  };
}
