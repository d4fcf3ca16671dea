/**
 * `strangler routes diffs`: what shadowing found, from a running facade's admin plane
 * (`/shadow/summary`, `/shadow/mismatches`), rendered with strangler-compare's own renderers.
 */
import {
  DiffSummary,
  renderDifferences,
  renderSummaryTable,
  type DiffSummarySnapshot,
  type StoredComparison,
} from '../../strangler-compare/index.js';
import { adminClient } from '../admin-client.js';
import type { CliIo } from '../cli-io.js';
import { expectKnownRule } from './known-rule.js';

export interface DiffsOptions {
  readonly rule?: string;
  readonly admin?: string;
  readonly limit: number;
  readonly json?: boolean;
}

/** What the table's `learned` column counts (docs/cli.md says the same). */
export const LEARNED_FOOTER =
  '(learned: comparisons that also asked the primary a second time, shadow.learnNoise; a field ' +
  "that differs between the primary's own two answers is noise, not a failure)\n";

export async function showDiffs(options: DiffsOptions, io: CliIo): Promise<void> {
  const client = adminClient(options.admin, io.env);
  if (options.rule !== undefined) await expectKnownRule(client, options.rule);
  const summary = summaryOf(await client.get<unknown>('/shadow/summary'));
  const routes = summary.routes.filter(
    (route) => options.rule === undefined || route.rule === options.rule,
  );
  let mismatches: StoredComparison[] = [];
  if (options.rule !== undefined) {
    const query = new URLSearchParams({ rule: options.rule, limit: String(options.limit) });
    mismatches = mismatchesOf(await client.get<unknown>(`/shadow/mismatches?${query.toString()}`));
  }
  if (options.json) {
    io.out(JSON.stringify({ summary: { version: 1, routes }, mismatches }, null, 2) + '\n');
    return;
  }
  io.out(renderSummaryTable({ version: 1, routes }));
  if (routes.length > 0) io.out(LEARNED_FOOTER);
  if (options.rule === undefined) {
    if (routes.some((route) => route.failing > 0)) {
      io.out('\n(strangler routes diffs --rule <name> shows the last mismatches of a rule)\n');
    }
    return;
  }
  if (mismatches.length === 0) {
    io.out(`\nno mismatches stored for ${options.rule}\n`);
    return;
  }
  for (const entry of mismatches) {
    const statuses = `${entry.primary.status} vs ${entry.candidate.status}`;
    io.out(
      `\n#${entry.id} ${entry.request.method} ${entry.request.url}  ${statuses}  ` +
        `${new Date(entry.at).toISOString()}\n`,
    );
    io.out(renderDifferences(entry.result, { color: io.color }));
  }
}

/** A snapshot, several (one per route or replica, merged), or a bare list of route summaries. */
export function summaryOf(answer: unknown): DiffSummarySnapshot {
  if (isSnapshot(answer)) return answer;
  const merged = new DiffSummary();
  if (Array.isArray(answer)) {
    merged.merge({ version: 1, routes: answer as DiffSummarySnapshot['routes'] });
  } else if (typeof answer === 'object' && answer !== null) {
    for (const value of Object.values(answer)) {
      if (isSnapshot(value)) merged.merge(value);
    }
  }
  return merged.toJSON();
}

function isSnapshot(value: unknown): value is DiffSummarySnapshot {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { routes?: unknown }).routes)
  );
}

function mismatchesOf(answer: unknown): StoredComparison[] {
  if (Array.isArray(answer)) return answer as StoredComparison[];
  const list = (answer as { mismatches?: unknown } | null)?.mismatches;
  return Array.isArray(list) ? (list as StoredComparison[]) : [];
}
