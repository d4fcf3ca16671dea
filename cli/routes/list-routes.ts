/**
 * `strangler routes list`: the rules in match order with where each sends traffic, read from the
 * file (offline, as the facade would compile it) or from a running facade (`--admin`).
 */
import type { CompiledRuleTable } from '../../strangler-facade/src/rules/compile-rules.js';
import { adminClient } from '../admin-client.js';
import type { CliIo } from '../cli-io.js';
import { textTable } from '../text-table.js';
import { matchText, methodsText } from '../../strangler-facade/src/rules/rule-text.js';
import { canaryText, fallbackText, shadowText } from './describe-route.js';
import { loadRoutesTable, routesFileRef } from './routes-file.js';

export interface ListOptions {
  readonly file?: string;
  readonly admin?: string;
  readonly json?: boolean;
}

const HEADER = ['rule', 'methods', 'match', 'upstream', 'canary', 'shadow', 'fallback'];

export async function listRoutes(options: ListOptions, io: CliIo): Promise<void> {
  if (options.admin !== undefined) {
    const client = adminClient(options.admin, io.env);
    const rules = await client.get<AdminRules>('/rules');
    if (options.json) return io.out(JSON.stringify(rules, null, 2) + '\n');
    io.out(
      `${client.baseUrl}: ${rules.file ?? '?'} version ${rules.version ?? '?'} (${rules.hash ?? '?'})\n`,
    );
    io.out(textTable([HEADER, ...adminRows(rules)]));
    return;
  }
  const file = routesFileRef(options.file, io);
  const { table, hash } = await loadRoutesTable(file, io.env);
  if (options.json) return io.out(JSON.stringify(tableJson(table), null, 2) + '\n');
  io.out(`${file.name} (${hash})\n`);
  io.out(textTable([HEADER, ...tableRows(table)]));
  const fromEnv = table.upstreams.filter((upstream) => upstream.source === 'env');
  for (const upstream of fromEnv) {
    io.out(`${upstream.name}: ${upstream.origin} from ${upstream.envVar}\n`);
  }
}

export function tableRows(table: CompiledRuleTable): string[][] {
  const rows = table.rules.map((rule) => [
    rule.name,
    methodsText(rule),
    matchText(rule),
    rule.upstream.name,
    canaryText(rule.canary),
    shadowText(rule.shadow),
    fallbackText(rule.fallback),
  ]);
  const fallback = table.defaultRule;
  rows.push([
    fallback.name,
    '*',
    '(anything else)',
    fallback.upstream.name,
    canaryText(fallback.canary),
    shadowText(fallback.shadow),
    fallbackText(fallback.fallback),
  ]);
  return rows;
}

function tableJson(table: CompiledRuleTable) {
  const target = (rule: (typeof table.rules)[number] | typeof table.defaultRule) => ({
    upstream: rule.upstream.name,
    canary: rule.canary && {
      upstream: rule.canary.upstream.name,
      percent: rule.canary.percent,
      stickyBy: rule.canary.stickyKind,
      rollout: rule.canary.rollout !== null,
    },
    shadow: rule.shadow && { upstream: rule.shadow.upstream.name, percent: rule.shadow.percent },
    fallback: rule.fallback && { upstream: rule.fallback.upstream.name },
  });
  return {
    rules: table.rules.map((rule) => ({
      name: rule.name,
      methods: rule.methods ? [...rule.methods] : null,
      match: matchText(rule),
      ...target(rule),
    })),
    default: { name: table.defaultRule.name, ...target(table.defaultRule) },
    upstreams: table.upstreams.map((upstream) => ({
      name: upstream.name,
      url: upstream.origin,
      source: upstream.source === 'env' ? upstream.envVar : 'file',
    })),
  };
}

interface AdminRule {
  readonly name?: string;
  readonly methods?: readonly string[] | null;
  readonly path?: string;
  readonly prefix?: string;
  readonly upstream?: string;
  readonly conditions?: Readonly<
    Record<string, Readonly<Record<string, { equals?: string; present?: boolean; regex?: string }>>>
  >;
  readonly canary?: { upstream?: string; percent?: number } | null;
  readonly shadow?: { upstream?: string; percent?: number } | null;
  readonly fallback?: { upstream?: string } | null;
}

interface AdminRules {
  readonly file?: string;
  readonly version?: number;
  readonly hash?: string;
  readonly rules?: readonly AdminRule[];
  readonly default?: AdminRule;
}

function adminRows(rules: AdminRules): string[][] {
  const split = (value: { upstream?: string; percent?: number } | null | undefined): string =>
    value ? `${value.upstream ?? '?'} ${value.percent ?? '?'}%` : '-';
  const row = (rule: AdminRule, match: string): string[] => [
    rule.name ?? '?',
    rule.methods
      ? rule.methods.filter((m) => m !== 'HEAD' || !rule.methods?.includes('GET')).join(',')
      : '*',
    match,
    rule.upstream ?? '?',
    split(rule.canary),
    split(rule.shadow),
    rule.fallback ? (rule.fallback.upstream ?? '?') : '-',
  ];
  const rows = (rules.rules ?? []).map((rule) =>
    row(
      rule,
      [
        rule.path !== undefined ? `path ${rule.path}` : `prefix ${rule.prefix ?? '?'}`,
        ...adminConditions(rule),
      ].join(', '),
    ),
  );
  if (rules.default) rows.push(row({ ...rules.default, methods: null }, '(anything else)'));
  return rows;
}

/** `{headers: {x-a: {equals: b}}}` → `header x-a=b`, as `conditionText` prints compiled ones. */
function adminConditions(rule: AdminRule): string[] {
  const out: string[] = [];
  const labels: Record<string, string> = { headers: 'header', cookies: 'cookie', query: 'query' };
  for (const [kind, conditions] of Object.entries(rule.conditions ?? {})) {
    for (const [name, condition] of Object.entries(conditions)) {
      const text =
        condition.equals !== undefined
          ? `${name}=${condition.equals}`
          : condition.present !== undefined
            ? `${name} ${condition.present ? 'present' : 'absent'}`
            : `${name}~/${condition.regex ?? ''}/`;
      out.push(`${labels[kind] ?? kind} ${text}`);
    }
  }
  return out;
}
