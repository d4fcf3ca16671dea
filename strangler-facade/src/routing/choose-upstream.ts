/**
 * Which upstream a matched request goes to, before resilience has its say:
 *   1. a trusted client's `X-Strangler-Upstream: <name>` (an internal header) picks it outright;
 *   2. else the rule's canary takes the request when its sticky bucket is below the percent;
 *   3. else the rule's primary.
 */
import type { RequestFacts } from '../request/request-facts.js';
import type { CompiledRuleTable, CompiledUpstream, RouteTarget } from '../rules/compile-rules.js';
import { stickyBucket, stickyKey } from './sticky-bucket.js';

export const UPSTREAM_SELECTOR_HEADER = 'x-strangler-upstream';

export interface UpstreamChoice {
  upstream: CompiledUpstream;
  /** True when the canary was chosen by the split. */
  canary: boolean;
  /** The request's sticky bucket in [0, 10000), or -1 when the rule has no canary. */
  bucket: number;
  /** True when a trusted client selected the upstream by header. */
  forced: boolean;
}

/** Fills `choice` (a per-request object, reused: no allocation here). */
export function chooseUpstream(
  table: CompiledRuleTable,
  route: RouteTarget,
  facts: RequestFacts,
  choice: UpstreamChoice,
): void {
  choice.upstream = route.upstream;
  choice.canary = false;
  choice.bucket = -1;
  choice.forced = false;
  if (facts.trustedClient) {
    const selected = facts.header(UPSTREAM_SELECTOR_HEADER);
    if (selected !== undefined) {
      const upstreams = table.upstreams;
      for (let index = 0; index < upstreams.length; index += 1) {
        if (upstreams[index].name !== selected) continue;
        choice.upstream = upstreams[index];
        choice.forced = true;
        return;
      }
    }
  }
  const canary = route.canary;
  if (canary === null) return;
  choice.bucket = stickyBucket(route.name, stickyKey(canary, facts));
  if (choice.bucket < canary.threshold) {
    choice.upstream = canary.upstream;
    choice.canary = true;
  }
}
