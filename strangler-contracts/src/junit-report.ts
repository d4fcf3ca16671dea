/**
 * The run as JUnit XML, the format CI systems (GitHub Actions reporters, GitLab, Jenkins)
 * read: one `<testsuite>` per endpoint (case file), one `<testcase>` per case; a difference or an
 * unmet expectation is a `<failure>`, a case that could not run is an `<error>`.
 */
import type { ContractCaseResult, ContractRunResult } from './contract-results.js';
import { renderCaseDetails } from './render-report.js';

export function renderJunitXml(run: ContractRunResult): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const { totals } = run;
  out.push(
    `<testsuites name="strangler-contracts" tests="${totals.cases}" failures="${totals.failed}" ` +
      `errors="${totals.errors}" skipped="${totals.skipped}" time="${seconds(run.durationMs)}" ` +
      `timestamp="${attribute(run.startedAt)}">`,
  );
  for (const tally of run.endpoints) {
    const cases = run.cases.filter(
      (result) => result.file === tally.file && result.endpoint === tally.endpoint,
    );
    const time = cases.reduce((sum, result) => sum + result.durationMs, 0);
    out.push(
      `  <testsuite name="${attribute(tally.key)}" tests="${tally.cases}" failures="${tally.failed}" ` +
        `errors="${tally.errors}" skipped="${tally.skipped}" time="${seconds(time)}" ` +
        `timestamp="${attribute(run.startedAt)}" file="${attribute(tally.file)}">`,
    );
    out.push(
      '    <properties>',
      `      <property name="old" value="${attribute(run.oldBaseUrl)}"/>`,
      `      <property name="new" value="${attribute(run.newBaseUrl)}"/>`,
      '    </properties>',
    );
    for (const result of cases) out.push(...testcase(result, tally.key));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function testcase(result: ContractCaseResult, classname: string): string[] {
  const open =
    `    <testcase classname="${attribute(classname)}" name="${attribute(result.name)}" ` +
    `time="${seconds(result.durationMs)}" file="${attribute(result.file)}" line="${result.line}"`;
  const details = renderCaseDetails(result);
  switch (result.outcome) {
    case 'passed':
      return result.warnings.length > 0
        ? [`${open}>`, `      <system-out>${text(details)}</system-out>`, '    </testcase>']
        : [`${open}/>`];
    case 'skipped':
      return [
        `${open}>`,
        `      <skipped message="${attribute(result.error ?? '')}"/>`,
        '    </testcase>',
      ];
    case 'failed': {
      const differences = result.exchanges.reduce(
        (sum, exchange) =>
          sum + exchange.comparison.differences.length + exchange.comparison.omittedDifferences,
        0,
      );
      const expectations = result.exchanges.reduce(
        (sum, exchange) => sum + exchange.expectationFailures.length,
        0,
      );
      const message = [
        differences > 0
          ? `${differences} difference${differences === 1 ? '' : 's'} between old and new`
          : '',
        expectations > 0 ? `${expectations} unmet expectation${expectations === 1 ? '' : 's'}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return [
        `${open}>`,
        `      <failure message="${attribute(message)}" type="ContractMismatch">${text(details)}</failure>`,
        '    </testcase>',
      ];
    }
    case 'error':
      return [
        `${open}>`,
        `      <error message="${attribute(firstLine(result.error ?? 'error'))}" type="ContractCaseError">${text(details)}</error>`,
        '    </testcase>',
      ];
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function firstLine(value: string): string {
  const line = value.split('\n')[0] ?? value;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/**
 * Characters XML 1.0 forbids (controls other than tab/newline/CR, lone surrogates, U+FFFE/F)
 * become U+FFFD; ANSI colour codes are dropped first.
 */
export function xmlSafe(value: string): string {
  return value.replace(ANSI_COLOUR, '').replace(XML_FORBIDDEN, '\ufffd');
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;
const XML_FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- exactly the control characters XML 1.0 forbids
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escaped for element content. */
export function text(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped for a double-quoted attribute (newlines and tabs kept as character references). */
export function attribute(value: string): string {
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
