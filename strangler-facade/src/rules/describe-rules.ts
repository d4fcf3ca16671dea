/**
 * Plain-data views of the active rules, for the admin API and the start-up log: the compiled
 * table itself holds RegExps and Sets, which do not print.
 */
import type { ActiveRules } from './active-rules.js';
import type { CompiledRuleTable } from './compile-rules.js';

export interface RuleView {
  readonly name: string;
  readonly methods: readonly string[] | null;
  readonly path?: string;
  readonly prefix?: string;
  readonly upstream: string;
  readonly upstreamUrl: string;
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
  }));
}

export function describeStatus(rules: ActiveRules) {
  const current = rules.current;
  const error = rules.lastError;
  return {
    file: rules.file,
    version: current.version,
    hash: current.hash,
    loadedAt: current.loadedAt.toISOString(),
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
    `→ ${rule.upstream.name} (${rule.upstream.origin})`,
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
