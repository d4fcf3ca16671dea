/**
 * Plain-data views of the active rules, for the admin API and the start-up log: the compiled
 * table itself holds RegExps and Sets, which do not print.
 */
import type { ActiveRules } from './active-rules.js';
import type { CompiledRule, CompiledRuleTable } from './compile-rules.js';

export interface RuleView {
  readonly name: string;
  readonly methods: readonly string[] | null;
  readonly path?: string;
  readonly prefix?: string;
  readonly upstream: string;
  readonly upstreamUrl: string;
  /** Present only when the rule has them. */
  readonly conditions?: Record<string, unknown>;
  readonly canary?: Record<string, unknown>;
  readonly fallback?: Record<string, unknown>;
  readonly shadow?: Record<string, unknown>;
}

function describeConditions(rule: CompiledRule): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const key of ['headers', 'cookies', 'query'] as const) {
    const list = rule[key];
    if (list === null) continue;
    out[key] = Object.fromEntries(
      list.map((c) => [
        c.name,
        c.kind === 'equals'
          ? { equals: c.equals }
          : c.kind === 'present'
            ? { present: c.present }
            : { regex: c.regexp?.source },
      ]),
    );
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function describeExtras(rule: CompiledRule): Partial<RuleView> {
  const conditions = describeConditions(rule);
  return {
    ...(conditions !== undefined && { conditions }),
    ...(rule.canary !== null && {
      canary: {
        upstream: rule.canary.upstream.name,
        percent: rule.canary.percent,
        stickyBy: rule.canary.stickyBy,
        rollout: rule.canary.rollout,
      },
    }),
    ...(rule.fallback !== null && {
      fallback: {
        upstream: rule.fallback.upstream.name,
        on: [
          ...(rule.fallback.onConnectError ? ['connect-error'] : []),
          ...(rule.fallback.onTimeout ? ['timeout'] : []),
          ...(rule.fallback.on5xx ? ['5xx'] : []),
        ],
        retryBudget: rule.fallback.retryBudget,
      },
    }),
    ...(rule.shadow !== null && {
      shadow: {
        upstream: rule.shadow.upstream.name,
        percent: rule.shadow.percent,
        sideEffectFree: rule.shadow.sideEffectFree,
        maxBodyBytes: rule.shadow.maxBodyBytes,
        learnNoise: rule.shadow.learnNoise,
      },
    }),
  };
}

export function describeRules(table: CompiledRuleTable): {
  rules: RuleView[];
  default: { name: string; upstream: string; upstreamUrl: string };
} {
  return {
    rules: table.rules.map((rule) => ({
      name: rule.name,
      methods: rule.methods ? [...rule.methods] : null,
      [rule.matcher.kind]: rule.matcher.pattern,
      upstream: rule.upstream.name,
      upstreamUrl: rule.upstream.origin,
      ...describeExtras(rule),
    })),
    default: {
      name: table.defaultRule.name,
      upstream: table.defaultRule.upstream.name,
      upstreamUrl: table.defaultRule.upstream.origin,
    },
  };
}

export function describeUpstreams(table: CompiledRuleTable) {
  return table.upstreams.map((upstream) => ({
    name: upstream.name,
    url: upstream.origin,
    source: upstream.source === 'env' ? upstream.envVar : 'file',
    // What the file says, when the environment overrides it (an edit of it changes nothing).
    ...(upstream.source === 'env' && { fileUrl: upstream.fileUrl }),
  }));
}

export function describeStatus(rules: ActiveRules) {
  const current = rules.current;
  const error = rules.lastError;
  const pending = rules.pending;
  return {
    file: rules.file,
    version: current.version,
    hash: current.hash,
    loadedAt: current.loadedAt.toISOString(),
    // which file content is served, and new content still settling (a writer at work)
    served: {
      sha256: current.file.sha256,
      bytes: current.file.bytes,
      mtime: current.file.mtime.toISOString(),
    },
    pending: pending
      ? {
          sha256: pending.sha256,
          bytes: pending.bytes,
          mtime: pending.mtime.toISOString(),
          since: pending.since.toISOString(),
        }
      : null,
    lastReloadError: error
      ? { errors: error.errors, hash: error.hash, at: error.at.toISOString() }
      : null,
    upstreams: describeUpstreams(current.table),
  };
}

/** The route table as aligned text lines, for the start-up log. */
export function formatRouteTable(table: CompiledRuleTable): string {
  const rows = table.rules.map((rule) => [
    rule.name,
    rule.methods
      ? [...rule.methods].filter((m) => m !== 'HEAD' || !rule.methods?.has('GET')).join(',')
      : '*',
    `${rule.matcher.kind} ${rule.matcher.pattern}`,
    `→ ${rule.upstream.name} (${rule.upstream.origin})` +
      (rule.canary !== null
        ? `, canary ${rule.canary.percent}% → ${rule.canary.upstream.name}`
        : '') +
      (rule.shadow !== null ? `, shadow → ${rule.shadow.upstream.name}` : '') +
      (rule.fallback !== null ? `, fallback → ${rule.fallback.upstream.name}` : ''),
  ]);
  rows.push([
    table.defaultRule.name,
    '*',
    '(anything else)',
    `→ ${table.defaultRule.upstream.name} (${table.defaultRule.upstream.origin})`,
  ]);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell)).join('  '),
    )
    .join('\n');
}
