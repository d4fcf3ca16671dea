/**
 * Upstreams whose URL in the rules file does not apply because `STRANGLER_UPSTREAM_<NAME>_URL`
 * overrides it: an edit of `url:` in routes.yaml then changes nothing, so the facade says so in
 * its log (each load) and in `/status` (`fileUrl` next to the `url` it uses).
 */
import type { CompiledRuleTable } from './compile-rules.js';

export interface UpstreamOverride {
  readonly upstream: string;
  readonly envVar: string;
  /** The origin the facade uses (from the environment). */
  readonly url: string;
  /** What the file says, ignored. */
  readonly fileUrl: string;
}

/** Overrides that differ from the file (an override equal to the file's URL changes nothing). */
export function upstreamOverrides(table: CompiledRuleTable): UpstreamOverride[] {
  return table.upstreams.flatMap((upstream) => {
    if (upstream.source !== 'env' || sameOrigin(upstream.fileUrl, upstream.origin)) return [];
    return [
      {
        upstream: upstream.name,
        envVar: upstream.envVar,
        url: upstream.origin,
        fileUrl: upstream.fileUrl,
      },
    ];
  });
}

export function overrideWarning(override: UpstreamOverride, sourceName: string): string {
  return (
    `upstream "${override.upstream}": ${override.envVar}=${override.url} overrides ` +
    `${sourceName}'s url ${override.fileUrl} (edits of that url take effect once the variable is unset)`
  );
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
