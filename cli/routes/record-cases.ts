/**
 * `strangler routes record-cases`: a running facade's shadow mismatches and sampled matches of a
 * rule (`GET /shadow/cases`), written as a contract case file `<out>/<rule>.recorded.yaml` that
 * `strangler contracts run` runs against both sides.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ComparisonOptions, StoredComparison } from '../../strangler-compare/index.js';
import { recordCases } from '../../strangler-contracts/src/record-cases.js';
import { adminClient } from '../admin-client.js';
import { CliError, type CliIo } from '../cli-io.js';
import { expectKnownRule } from './known-rule.js';

export interface RecordCasesCliOptions {
  readonly rule: string;
  readonly out: string;
  readonly admin?: string;
  readonly include: string;
  readonly keepAuth?: boolean;
}

interface CasesAnswer {
  readonly compare?: ComparisonOptions | null;
  readonly mismatches?: StoredComparison[];
  readonly matches?: StoredComparison[];
}

export async function recordCasesCommand(options: RecordCasesCliOptions, io: CliIo): Promise<void> {
  const include = options.include
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const unknown = include.filter((part) => part !== 'mismatches' && part !== 'matches');
  if (include.length === 0 || unknown.length > 0) {
    throw new CliError([`--include: expected mismatches, matches or both, got ${options.include}`]);
  }
  const client = adminClient(options.admin, io.env);
  await expectKnownRule(client, options.rule);
  const query = new URLSearchParams({ rule: options.rule, include: include.join(',') });
  const answer = await client.get<CasesAnswer>(`/shadow/cases?${query.toString()}`);
  const entries = [...(answer.mismatches ?? []), ...(answer.matches ?? [])];
  const recorded = recordCases(entries, {
    rule: options.rule,
    compare: answer.compare ?? null,
    keepAuth: options.keepAuth === true,
  });
  for (const line of recorded.skipped) io.err(`skipped ${line}\n`);
  if (recorded.cases === 0) {
    throw new CliError([
      `no ${include.join(' or ')} stored for rule ${options.rule}: nothing to record ` +
        '(is the rule shadowed, and has traffic reached it?)',
    ]);
  }
  const dir = path.resolve(io.cwd, options.out);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${options.rule}.recorded.yaml`);
  await writeFile(file, recorded.text, 'utf8');
  io.out(`wrote ${recorded.cases} case(s) to ${path.relative(io.cwd, file) || file}\n`);
}
