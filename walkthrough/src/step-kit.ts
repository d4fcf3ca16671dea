/**
 * What the walkthrough's steps are made of: a step that edits routes.yaml, a verification's
 * result, and the checks several steps share (where a request went, where it would go, whether a
 * pipeline streams and its two databases agree).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import {
  loadCaseFiles,
  runContracts,
  type ContractCase,
  type LoadedCaseFile,
} from '../../strangler-contracts/index.js';
import { renderRunReport } from '../../strangler-contracts/src/render-report.js';
import {
  loadPipelineDefinition,
  readPipelineStatus,
  verifyPipeline,
} from '../../strangler-sync/src/index.js';
import { explainRoute, throughFacade } from './checks.js';
import {
  applyRoutesEdit,
  previewRoutesEdit,
  waitForFacadeToServe,
  type RoutesEdit,
} from './routes-change.js';
import type { StepChange, StepContext, VerifyResult, WalkthroughStep } from './step.js';

/** A step whose change is an edit of routes.yaml. */
export function routesStep(
  step: Omit<WalkthroughStep, 'available' | 'change' | 'apply'> & {
    readonly summary: string;
    readonly edit: (context: StepContext) => RoutesEdit;
    /** A file shown with the change (e.g. the pipeline the step relies on). */
    readonly show?: (context: StepContext) => Promise<string>;
    /** Checked before the edit: problems that keep the routes as they are. */
    readonly precondition?: (context: StepContext) => Promise<string[]>;
  },
): WalkthroughStep {
  const { show, precondition, edit, summary, ...rest } = step;
  return {
    ...rest,
    available: true,
    async change(context): Promise<StepChange> {
      const file = context.target.routesFile;
      const before = await readFile(file, 'utf8');
      const after = previewRoutesEdit(before, path.basename(file), edit(context));
      return {
        summary,
        ...(show && { show: await show(context) }),
        routes: { before, after },
      };
    },
    async apply(context) {
      const problems = precondition ? await precondition(context) : [];
      if (problems.length > 0)
        throw new Error(`routes.yaml left as it is:\n    ${problems.join('\n    ')}`);
      const { before, after } = await applyRoutesEdit(context.target.routesFile, edit(context));
      const version = await waitForFacadeToServe(context.target, after);
      context.note(`the facade serves the new rules (version ${version ?? '?'})`);
      return { routesBefore: before };
    },
  };
}

export function result(lines: string[], failures: string[]): VerifyResult {
  return { ok: failures.length === 0, lines: [...lines, ...failures.map((f) => `FAILED: ${f}`)] };
}

/** GET each path through the facade; checks the upstream that answered. */
export async function expectUpstream(
  context: StepContext,
  paths: readonly string[],
  upstream: string,
  lines: string[],
  failures: string[],
): Promise<void> {
  for (const requestPath of paths) {
    const answer = await throughFacade(context.target, requestPath);
    const line = `GET ${requestPath} -> ${answer.status}, X-Strangler-Route: ${answer.rule ?? '(none)'}, X-Strangler-Upstream: ${answer.upstream ?? '(none)'}`;
    lines.push(line);
    if (answer.upstream !== upstream)
      failures.push(`${requestPath} went to ${answer.upstream ?? '?'}, expected ${upstream}`);
    if (answer.status >= 500) failures.push(`${requestPath} answered ${answer.status}`);
  }
}

export async function explainExpect(
  context: StepContext,
  method: string,
  requestPath: string,
  upstream: string,
  lines: string[],
  failures: string[],
): Promise<void> {
  const explained = await explainRoute(context.target, method, requestPath);
  lines.push(
    `admin /explain ${method} ${requestPath} -> rule ${explained.rule ?? '?'}, upstream ${explained.upstream ?? '?'} (not sent)`,
  );
  if (explained.upstream !== upstream)
    failures.push(
      `${method} ${requestPath} would go to ${explained.upstream ?? '?'}, expected ${upstream}`,
    );
}

export interface PipelineUrls {
  readonly sourceUrl: string;
  readonly targetUrl: string;
}

/** migrations/pipelines/<name>.pipeline.yaml of the example. */
export function pipelineFile(context: StepContext, name: string): string {
  return path.join(context.repoRoot, `migrations/pipelines/${name}.pipeline.yaml`);
}

/** The pipeline file, shown as a step's change. */
export async function showPipeline(context: StepContext, name: string): Promise<string> {
  return readFile(pipelineFile(context, name), 'utf8');
}

/**
 * The sync's own checks of one pipeline: it streams (`strangler sync status`), has no dead
 * letters, and the two databases hold the same rows under its mapping (`strangler sync verify`).
 */
export async function checkPipeline(
  context: StepContext,
  name: string,
  urls: PipelineUrls,
  lines: string[],
  failures: string[],
): Promise<void> {
  const definition = await loadPipelineDefinition(pipelineFile(context, name));
  const status = await readPipelineStatus(definition, urls);
  lines.push(
    `sync status ${name}: phase ${status.phase}, lag ${status.lagSeconds ?? '?'} s ` +
      `(${status.lagBytes ?? '?'} bytes of WAL held by the slot), dead letters ${status.deadLetters}`,
  );
  if (status.phase !== 'streaming')
    failures.push(
      `the ${name} pipeline is ${status.phase}, not streaming${status.error ? ` (${status.error})` : ''}` +
        ` (start it: npx strangler sync start ${path.relative(context.repoRoot, pipelineFile(context, name))})`,
    );
  if (status.deadLetters > 0) failures.push(`${name}: ${status.deadLetters} dead letters`);
  // A change in flight makes one comparison differ: look again after a moment.
  let report = await verifyPipeline(definition, urls);
  for (let attempt = 0; !report.identical && attempt < 20; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    report = await verifyPipeline(definition, urls);
  }
  for (const table of report.tables) {
    lines.push(
      `verify ${name} ${table.source} -> ${table.target}: ${table.sourceRows} / ${table.targetRows} rows, ${table.differences.length} differences`,
    );
  }
  if (!report.identical)
    failures.push(`the databases differ under the mapping (strangler sync verify ${name})`);
}

/** Polls `probe` until it returns a value (not undefined), or gives up after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Ids (`file › case`) of the cases whose every request (setup, read-back, teardown) only reads. */
export function readOnlyCaseIds(files: readonly LoadedCaseFile[]): string[] {
  const readOnly = (contractCase: ContractCase): boolean => {
    const readBack = contractCase.readBack
      ? Array.isArray(contractCase.readBack)
        ? contractCase.readBack
        : [contractCase.readBack]
      : [];
    return [
      ...(contractCase.setup ?? []).map((step) => step.request),
      contractCase.request,
      ...readBack.map((step) => step.request),
      ...(contractCase.teardown ?? []).map((step) => step.request),
    ].every((request) => READ_METHODS.has(request.method));
  };
  return files.flatMap((file) =>
    file.file.cases.filter(readOnly).map((contractCase) => `${file.name} › ${contractCase.name}`),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Runs a contract suite (contracts/<slice>) against legacy and a new service, as
 * `strangler contracts run` does; `readOnly` keeps the cases whose every request only reads.
 */
export async function runContractSuite(
  context: StepContext,
  options: {
    readonly suite: string;
    readonly newBaseUrl: string;
    readonly vars: Record<string, string>;
    readonly readOnly: boolean;
  },
): Promise<VerifyResult> {
  const caseFiles = await loadCaseFiles([path.join(context.repoRoot, options.suite)]);
  const only = options.readOnly
    ? readOnlyCaseIds(caseFiles).map((id) => `/^${escapeRegExp(id)}$/`)
    : undefined;
  const run = await runContracts({
    oldBaseUrl: context.target.legacyUrl,
    newBaseUrl: options.newBaseUrl,
    caseFiles,
    vars: options.vars,
    ...(only && { only }),
    concurrency: 4,
  });
  const lines = run.endpoints.map(
    (tally) =>
      `${tally.endpoint.padEnd(26)} ${tally.passed} of ${tally.cases} passed` +
      (tally.failed + tally.errors > 0 ? `, ${tally.failed} failed, ${tally.errors} errors` : ''),
  );
  lines.push(
    `${options.readOnly ? 'read-only ' : ''}contract cases (${options.suite}): ${run.totals.cases}, passed ${run.totals.passed}, failed ${run.totals.failed}, errors ${run.totals.errors}`,
  );
  if (!run.ok || run.totals.cases === 0)
    return { ok: false, lines: [...lines, renderRunReport(run)] };
  return { ok: true, lines };
}

/** `strangler sync status` of one of the example's pipelines. */
export async function pipelineStatus(context: StepContext, name: string, urls: PipelineUrls) {
  return readPipelineStatus(await loadPipelineDefinition(pipelineFile(context, name)), urls);
}

/**
 * Echo transactions the pipeline's capture has skipped since its process started (its own
 * report, refreshed every second; `strangler sync status` prints it). Null when not running.
 */
export async function echoesSkipped(
  context: StepContext,
  name: string,
  urls: PipelineUrls,
): Promise<number | null> {
  return (await pipelineStatus(context, name, urls)).echoTransactionsSkipped ?? null;
}
