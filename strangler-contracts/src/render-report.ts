/**
 * The run as text: one line per case as it ends, a field-level diff for each failing case
 * (strangler-compare's `renderDifferences`), and the summary: cases passed / failed per endpoint,
 * then, when something differed, strangler-compare's per-field table (`renderSummaryTable`).
 */
import { renderDifferences, renderSummaryTable } from '../../strangler-compare/index.js';
import type { ContractCaseResult, ContractRunResult } from './contract-results.js';

export interface RenderReportOptions {
  readonly color?: boolean;
}

const MARKS: Record<ContractCaseResult['outcome'], string> = {
  passed: '✓',
  failed: '✗',
  error: '!',
  skipped: '-',
};

/** `✓ get-card › found (12 ms)`. */
export function renderCaseLine(result: ContractCaseResult): string {
  const suffix =
    result.outcome === 'skipped'
      ? ` (skipped: ${result.error ?? ''})`
      : ` (${result.durationMs} ms)`;
  return `${MARKS[result.outcome]} ${result.id}${suffix}`;
}

/** What went wrong in one case, indented, ready for a terminal or a JUnit failure body. */
export function renderCaseDetails(
  result: ContractCaseResult,
  options: RenderReportOptions = {},
): string {
  const lines: string[] = [];
  for (const exchange of result.exchanges) {
    const failing = !exchange.comparison.matches || exchange.expectationFailures.length > 0;
    if (!failing) continue;
    const sameRequest = exchange.old.request === exchange.new.request;
    lines.push(
      sameRequest
        ? `${exchange.step}: ${exchange.old.request} → old ${exchange.old.status}, new ${exchange.new.status}`
        : `${exchange.step}: old ${exchange.old.request} → ${exchange.old.status}; new ${exchange.new.request} → ${exchange.new.status}`,
    );
    for (const failure of exchange.expectationFailures) lines.push(`  ! ${failure}`);
    if (!exchange.comparison.matches) {
      const diff = renderDifferences(exchange.comparison, { color: options.color ?? false });
      lines.push(
        ...diff
          .trimEnd()
          .split('\n')
          .map((line) => `  ${line}`),
      );
    }
  }
  if (result.error !== undefined && result.outcome === 'error')
    lines.push(`error: ${result.error}`);
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

/** Every failing or erroring case with its diff, then the summary tables. */
export function renderRunReport(run: ContractRunResult, options: RenderReportOptions = {}): string {
  const out: string[] = [];
  const problems = run.cases.filter(
    (result) =>
      result.outcome === 'failed' || result.outcome === 'error' || result.warnings.length > 0,
  );
  for (const result of problems) {
    const label =
      result.outcome === 'failed' ? 'FAILED' : result.outcome === 'error' ? 'ERROR' : 'WARNING';
    out.push(`${label} ${result.id}  (${result.file}:${result.line})`);
    out.push(
      ...renderCaseDetails(result, options)
        .split('\n')
        .map((line) => `  ${line}`),
    );
    out.push('');
  }
  out.push(renderEndpointTable(run));
  if (run.diffSummary.routes.some((route) => route.fields.length > 0)) {
    out.push(
      '',
      'Fields that differ, per endpoint:',
      renderSummaryTable(run.diffSummary).trimEnd(),
    );
  }
  const { totals } = run;
  out.push(
    '',
    `${totals.passed} passed, ${totals.failed} failed, ${totals.errors} errors, ${totals.skipped} skipped ` +
      `of ${totals.cases} cases in ${(run.durationMs / 1000).toFixed(1)} s ` +
      `(old ${run.oldBaseUrl}, new ${run.newBaseUrl})`,
  );
  return out.join('\n') + '\n';
}

/** Cases passed / failed per endpoint. */
export function renderEndpointTable(run: ContractRunResult): string {
  const header = ['endpoint', 'cases', 'passed', 'failed', 'errors', 'skipped'];
  const rows = run.endpoints.map((tally) => [
    tally.key,
    ...[tally.cases, tally.passed, tally.failed, tally.errors, tally.skipped].map(String),
  ]);
  const { totals } = run;
  rows.push([
    'total',
    ...[totals.cases, totals.passed, totals.failed, totals.errors, totals.skipped].map(String),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_cell, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  return all
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  '),
    )
    .join('\n');
}
