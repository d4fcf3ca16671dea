/**
 * `runContracts(options)`: loads the case files, checks every `${variable}` can be resolved,
 * checks both sides answer TCP, runs the selected cases with bounded concurrency and returns a
 * `ContractRunResult`. The CLI and the tests both use it.
 *
 * Order, so a write never races a read that could see it: read-only cases (only GET/HEAD
 * requests) run first, concurrently; then cases that write, concurrently (each creates and
 * deletes its own data); then `serial: true` cases one at a time.
 */
import { Agent } from 'undici';
import { DiffSummary } from '../../strangler-compare/index.js';
import type { ContractCase, ContractRequest } from './case-file.schema.js';
import type { ContractCaseResult, ContractRunResult, EndpointTally } from './contract-results.js';
import { mapBounded } from './bounded-pool.js';
import {
  ContractCasesError,
  loadCaseFiles,
  type LoadedCaseFile,
  type SourcePosition,
} from './load-case-files.js';
import { loadVarsFile } from './load-vars.js';
import { runCase } from './run-case.js';
import { probeSide, type Side } from './send-request.js';
import { jsonReferences, referenceProblem, variableReferences } from './variables.js';

export interface RunContractsOptions {
  /** Base URL of the old side (the monolith), e.g. `http://127.0.0.1:3001`. */
  readonly oldBaseUrl: string;
  /** Base URL of the new side (the extracted service). */
  readonly newBaseUrl: string;
  /** Case files or directories (default `contracts`). */
  readonly cases?: string | readonly string[];
  /** Already loaded case files (instead of `cases`). */
  readonly caseFiles?: readonly LoadedCaseFile[];
  /** A YAML/JSON vars file. */
  readonly varsFile?: string;
  /** Variables; they win over the vars file. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** For `${env.NAME}` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Runs only the cases whose id (`file › case name`) or endpoint contains one of these
   * (case-insensitive); `/regex/` for a regular expression.
   */
  readonly only?: string | readonly string[];
  /** Cases in flight at once (default 4). */
  readonly concurrency?: number;
  /** Per request, unless the case file says otherwise (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Called as each case ends (progress output). */
  readonly onCaseDone?: (result: ContractCaseResult) => void;
}

/** A side that does not accept connections: nothing was run. */
export class ContractSideUnreachableError extends Error {
  constructor(readonly problems: readonly { side: Side; baseUrl: string; problem: string }[]) {
    super(
      problems
        .map(
          ({ side, baseUrl, problem }) =>
            `the ${side} side (${baseUrl}) is unreachable: ${problem}`,
        )
        .join('\n'),
    );
    this.name = 'ContractSideUnreachableError';
  }
}

interface SelectedCase {
  readonly file: LoadedCaseFile;
  readonly index: number;
  readonly contractCase: ContractCase;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function runContracts(options: RunContractsOptions): Promise<ContractRunResult> {
  const startedAt = new Date();
  const started = performance.now();
  const files = options.caseFiles ?? (await loadCaseFiles(toList(options.cases ?? 'contracts')));
  const vars = new Map<string, unknown>(
    Object.entries({
      ...(options.varsFile ? await loadVarsFile(options.varsFile) : {}),
      ...options.vars,
    }),
  );
  const env = options.env ?? process.env;
  const selected = selectCases(files, toList(options.only ?? []));
  if (selected.length === 0) {
    throw new ContractCasesError([
      `no case matches --only ${toList(options.only ?? []).join(', ')}`,
    ]);
  }
  const referenceProblems = selected
    .filter((entry) => !entry.contractCase.skip)
    .flatMap((entry) => checkReferences(entry, vars, env));
  if (referenceProblems.length > 0) {
    throw new ContractCasesError(formatReferenceProblems(referenceProblems));
  }

  const timeoutMs = options.timeoutMs ?? 10_000;
  const baseUrls: Record<Side, string> = { old: options.oldBaseUrl, new: options.newBaseUrl };
  const unreachable = (
    await Promise.all(
      (['old', 'new'] as const).map(async (side) => ({
        side,
        baseUrl: baseUrls[side],
        problem: await probeSide(baseUrls[side], Math.min(timeoutMs, 5_000)),
      })),
    )
  ).filter(
    (entry): entry is { side: Side; baseUrl: string; problem: string } => entry.problem !== null,
  );
  if (unreachable.length > 0) throw new ContractSideUnreachableError(unreachable);

  const concurrency = Math.max(1, options.concurrency ?? 4);
  const dispatcher = new Agent({ connections: concurrency * 2, keepAliveTimeout: 1_000 });
  const results = new Map<SelectedCase, ContractCaseResult>();
  const run = async (entry: SelectedCase) => {
    const result = await runCase(entry.file, entry.index, {
      dispatcher,
      baseUrls,
      vars,
      env,
      timeoutMs,
    });
    results.set(entry, result);
    options.onCaseDone?.(result);
  };
  try {
    const serial = selected.filter((entry) => entry.contractCase.serial === true);
    const parallel = selected.filter((entry) => entry.contractCase.serial !== true);
    const readOnly = parallel.filter((entry) => isReadOnly(entry.contractCase));
    const writing = parallel.filter((entry) => !isReadOnly(entry.contractCase));
    await mapBounded(readOnly, concurrency, run);
    await mapBounded(writing, concurrency, run);
    await mapBounded(serial, 1, run);
  } finally {
    await dispatcher.close();
  }

  const cases = selected.map((entry) => results.get(entry) as ContractCaseResult);
  return summarise(cases, files, options, startedAt, Math.round(performance.now() - started));
}

function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

/** The cases `only` selects (all when empty), in file and case order. */
export function selectCases(
  files: readonly LoadedCaseFile[],
  only: readonly string[],
): SelectedCase[] {
  const matchers = only.map((pattern): ((text: string) => boolean) => {
    const regex = /^\/(.+)\/([a-z]*)$/.exec(pattern);
    if (regex?.[1] !== undefined) {
      const expression = new RegExp(regex[1], regex[2] || 'i');
      return (text) => expression.test(text);
    }
    const needle = pattern.toLowerCase();
    return (text) => text.toLowerCase().includes(needle);
  });
  return files.flatMap((file) =>
    file.file.cases.flatMap((contractCase, index) => {
      const texts = [`${file.name} › ${contractCase.name}`, file.file.endpoint, file.path];
      const chosen =
        matchers.length === 0 || matchers.some((matches) => texts.some((text) => matches(text)));
      return chosen ? [{ file, index, contractCase }] : [];
    }),
  );
}

function isReadOnly(contractCase: ContractCase): boolean {
  const requests = [
    ...(contractCase.setup ?? []).map((step) => step.request),
    contractCase.request,
    ...readBacksOf(contractCase).map((readBack) => readBack.request),
    ...(contractCase.teardown ?? []).map((step) => step.request),
  ];
  return requests.every((request) => READ_METHODS.has(request.method));
}

function readBacksOf(contractCase: ContractCase) {
  if (!contractCase.readBack) return [];
  return Array.isArray(contractCase.readBack) ? contractCase.readBack : [contractCase.readBack];
}

/**
 * Every `${...}` of a case, in the order its requests run, must name a variable, an earlier
 * capture or a set environment variable: found before anything is sent, with file:line.
 */
export function checkReferences(
  entry: SelectedCase,
  vars: ReadonlyMap<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): ReferenceProblem[] {
  const { file, index, contractCase } = entry;
  const known = new Set(vars.keys());
  const problems: ReferenceProblem[] = [];
  const where = (position: SourcePosition) =>
    `${position.file}:${position.line}:${position.column}`;
  const check = (fieldPath: readonly PropertyKey[], references: readonly string[]) => {
    for (const reference of references) {
      const problem =
        referenceProblem(reference) ??
        (reference.startsWith('env.')
          ? env[reference.slice(4)] === undefined
            ? `environment variable ${reference.slice(4)} is not set`
            : null
          : known.has(reference)
            ? null
            : `unknown variable \${${reference}} (not in the vars, not captured before this request)`);
      if (problem && !problems.some((seen) => seen.reference === reference)) {
        problems.push({
          where: where(file.locate(fieldPath)),
          caseName: contractCase.name,
          reference,
          message: problem,
        });
      }
    }
  };
  const checkRequest = (at: readonly PropertyKey[], request: ContractRequest) => {
    check([...at, 'path'], variableReferences(request.path));
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (typeof value === 'string') check([...at, 'headers', name], variableReferences(value));
    }
    for (const [name, value] of Object.entries(request.query ?? {})) {
      const values = Array.isArray(value) ? value : [value];
      check(
        [...at, 'query', name],
        values.flatMap((item) => (typeof item === 'string' ? variableReferences(item) : [])),
      );
    }
    if (request.json !== undefined) check([...at, 'json'], jsonReferences(request.json));
    if (request.body !== undefined) check([...at, 'body'], variableReferences(request.body));
    for (const [name, value] of Object.entries(file.file.defaults?.headers ?? {})) {
      if (typeof value === 'string' && !Object.hasOwn(request.headers ?? {}, name)) {
        check(['defaults', 'headers', name], variableReferences(value));
      }
    }
  };
  const at = ['cases', index];
  (contractCase.setup ?? []).forEach((step, stepIndex) => {
    checkRequest([...at, 'setup', stepIndex, 'request'], step.request);
    Object.keys(step.capture ?? {}).forEach((name) => known.add(name));
  });
  checkRequest([...at, 'request'], contractCase.request);
  Object.keys(contractCase.capture ?? {}).forEach((name) => known.add(name));
  const readBack = contractCase.readBack;
  readBacksOf(contractCase).forEach((step, readIndex) => {
    const path = Array.isArray(readBack) ? [...at, 'readBack', readIndex] : [...at, 'readBack'];
    checkRequest([...path, 'request'], step.request);
  });
  (contractCase.teardown ?? []).forEach((step, stepIndex) => {
    checkRequest([...at, 'teardown', stepIndex, 'request'], step.request);
  });
  return problems;
}

/** A `${...}` that cannot be resolved (reported once per case and reference). */
export interface ReferenceProblem {
  /** `file:line:column` of the template. */
  readonly where: string;
  readonly caseName: string;
  readonly reference: string;
  readonly message: string;
}

/**
 * One line per place and problem, naming the cases (a default header shared by 13 cases is one
 * line), after a first line listing the missing variables.
 */
export function formatReferenceProblems(problems: readonly ReferenceProblem[]): string[] {
  const groups = new Map<string, { message: string; cases: string[] }>();
  for (const problem of problems) {
    const key = `${problem.where} ${problem.message}`;
    const group = groups.get(key) ?? { message: `${problem.where}: ${problem.message}`, cases: [] };
    group.cases.push(problem.caseName);
    groups.set(key, group);
  }
  const missing = [
    ...new Set(
      problems.filter((problem) => !problem.reference.startsWith('env.')).map((p) => p.reference),
    ),
  ];
  const lines = [...groups.values()].map(({ message, cases }) => {
    const named = cases.slice(0, 3).map((name) => `"${name}"`);
    const more = cases.length > 3 ? ` and ${cases.length - 3} more` : '';
    return `${message} (case${cases.length === 1 ? '' : 's'} ${named.join(', ')}${more})`;
  });
  if (missing.length > 0) {
    lines.unshift(
      `missing variables: ${missing.join(', ')} (give them with --vars <file> or --var name=value)`,
    );
  }
  return lines;
}

function summarise(
  cases: readonly ContractCaseResult[],
  files: readonly LoadedCaseFile[],
  options: RunContractsOptions,
  startedAt: Date,
  durationMs: number,
): ContractRunResult {
  const diffSummary = new DiffSummary();
  type MutableTally = { -readonly [K in keyof EndpointTally]: EndpointTally[K] };
  const tallies = new Map<string, MutableTally>();
  for (const result of cases) {
    const file = files.find((candidate) => candidate.path === result.file);
    const name = file?.name ?? result.file;
    const [method = '', pathPattern = ''] = result.endpoint.split(' ');
    const key = `${name} ${result.endpoint}`;
    let tally = tallies.get(key);
    if (!tally) {
      tally = {
        key,
        file: result.file,
        endpoint: result.endpoint,
        cases: 0,
        passed: 0,
        failed: 0,
        errors: 0,
        skipped: 0,
      };
      tallies.set(key, tally);
    }
    tally.cases++;
    if (result.outcome === 'passed') tally.passed++;
    else if (result.outcome === 'failed') tally.failed++;
    else if (result.outcome === 'error') tally.errors++;
    else tally.skipped++;
    for (const exchange of result.exchanges) {
      diffSummary.record({ rule: name, method, pathPattern }, exchange.comparison);
    }
  }
  const count = (outcome: ContractCaseResult['outcome']) =>
    cases.filter((result) => result.outcome === outcome).length;
  const totals = {
    cases: cases.length,
    passed: count('passed'),
    failed: count('failed'),
    errors: count('error'),
    skipped: count('skipped'),
  };
  return {
    ok: totals.failed === 0 && totals.errors === 0 && totals.passed > 0,
    oldBaseUrl: options.oldBaseUrl,
    newBaseUrl: options.newBaseUrl,
    startedAt: startedAt.toISOString(),
    durationMs,
    cases,
    endpoints: [...tallies.values()],
    totals,
    diffSummary: diffSummary.toJSON(),
  };
}
