/**
 * Runs one contract case on both sides:
 *
 * 1. `setup` requests, on each side (each side keeps its own captures: ids differ between the
 *    two databases); each must answer its `expect.status`, by default any 2xx;
 * 2. the case's `request` on both sides at once, compared with strangler-compare, `expect`ed;
 * 3. each `readBack` request, on both sides, compared the same way (a write read back);
 * 4. `teardown` requests, always, on each side; their problems are warnings.
 *
 * A network failure, an unmet setup, a failed capture or an unknown variable ends the case as
 * `error`; differences and unmet expectations make it `failed`.
 */
import type { Agent } from 'undici';
import { compileComparison, type CompiledComparison } from '../../strangler-compare/index.js';
import { captureValue } from './capture.js';
import type { ContractExpectation, ContractRequest, ContractStep } from './case-file.schema.js';
import type { ComparedExchange, ContractCaseResult } from './contract-results.js';
import type { LoadedCaseFile } from './load-case-files.js';
import { mergeCompareOptions, prepareRequest, type RequestDefaults } from './prepare-request.js';
import { sendRequest, type ReceivedResponse, type Side } from './send-request.js';
import type { VariableScope } from './variables.js';

export interface CaseRunContext {
  readonly dispatcher: Agent;
  readonly baseUrls: Readonly<Record<Side, string>>;
  readonly vars: ReadonlyMap<string, unknown>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Per request, unless the file or the request says otherwise. */
  readonly timeoutMs: number;
}

const SIDES: readonly Side[] = ['old', 'new'];

/** A problem that ends the case (not a difference between the sides). */
export class CaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaseError';
  }
}

export async function runCase(
  caseFile: LoadedCaseFile,
  index: number,
  context: CaseRunContext,
): Promise<ContractCaseResult> {
  const contractCase = caseFile.file.cases[index];
  const started = performance.now();
  const base = {
    id: `${caseFile.name} › ${contractCase.name}`,
    file: caseFile.path,
    line: caseFile.locate(['cases', index]).line,
    endpoint: caseFile.file.endpoint,
    name: contractCase.name,
  };
  const elapsed = () => Math.round(performance.now() - started);
  if (contractCase.skip) {
    const reason = typeof contractCase.skip === 'string' ? contractCase.skip : 'skip: true';
    return {
      ...base,
      outcome: 'skipped',
      durationMs: 0,
      exchanges: [],
      error: reason,
      warnings: [],
    };
  }

  const defaults: RequestDefaults = {
    headers: caseFile.file.defaults?.headers,
    timeoutMs: caseFile.file.defaults?.timeoutMs ?? context.timeoutMs,
  };
  const scopes: Record<Side, VariableScope & { values: Map<string, unknown> }> = {
    old: { values: new Map(context.vars), env: context.env },
    new: { values: new Map(context.vars), env: context.env },
  };
  const exchanges: ComparedExchange[] = [];
  const warnings: string[] = [];
  const fileCompare = caseFile.file.defaults?.compare;
  let error: string | undefined;
  try {
    for (const [stepIndex, step] of (contractCase.setup ?? []).entries()) {
      await runStep(`setup[${stepIndex}]`, step, defaults, scopes, context, true);
    }
    const comparison = compileComparison(mergeCompareOptions(fileCompare, contractCase.compare));
    const { exchange, responses } = await runCompared(
      'request',
      contractCase.request,
      contractCase.expect,
      comparison,
      defaults,
      scopes,
      context,
    );
    exchanges.push(exchange);
    for (const side of SIDES) {
      applyCaptures('request', contractCase.capture, side, responses[side], scopes[side]);
    }
    const readBacks = contractCase.readBack
      ? Array.isArray(contractCase.readBack)
        ? contractCase.readBack
        : [contractCase.readBack]
      : [];
    for (const [readIndex, readBack] of readBacks.entries()) {
      const result = await runCompared(
        `readBack[${readIndex}]`,
        readBack.request,
        readBack.expect,
        compileComparison(mergeCompareOptions(fileCompare, readBack.compare)),
        defaults,
        scopes,
        context,
      );
      exchanges.push(result.exchange);
    }
  } catch (caught) {
    error = errorText(caught);
  } finally {
    for (const [stepIndex, step] of (contractCase.teardown ?? []).entries()) {
      warnings.push(
        ...(await runTeardownStep(`teardown[${stepIndex}]`, step, defaults, scopes, context)),
      );
    }
  }
  const failed = exchanges.some(
    (exchange) => !exchange.comparison.matches || exchange.expectationFailures.length > 0,
  );
  return {
    ...base,
    outcome: error !== undefined ? 'error' : failed ? 'failed' : 'passed',
    durationMs: elapsed(),
    exchanges,
    ...(error !== undefined && { error }),
    warnings,
  };
}

/** Sends a request to both sides at once; a network failure on either side throws. */
async function sendToBoth(
  label: string,
  request: ContractRequest,
  defaults: RequestDefaults,
  scopes: Record<Side, VariableScope>,
  context: CaseRunContext,
): Promise<Record<Side, { sent: string; response: ReceivedResponse }>> {
  const settled = await Promise.allSettled(
    SIDES.map(async (side) => {
      let prepared;
      try {
        prepared = prepareRequest(request, defaults, scopes[side]);
      } catch (error) {
        throw new CaseError(`${label}: ${side} side: ${(error as Error).message}`);
      }
      const response = await sendRequest(
        context.dispatcher,
        side,
        context.baseUrls[side],
        prepared,
      );
      return { sent: `${prepared.method} ${prepared.target}`, response };
    }),
  );
  const failures = settled.flatMap((outcome) =>
    outcome.status === 'rejected' ? [errorText(outcome.reason)] : [],
  );
  if (failures.length > 0) {
    throw new CaseError(
      failures.map((text) => (text.startsWith(label) ? text : `${label}: ${text}`)).join('; '),
    );
  }
  const [old, fresh] = settled as PromiseFulfilledResult<{
    sent: string;
    response: ReceivedResponse;
  }>[];
  return { old: old.value, new: fresh.value };
}

async function runCompared(
  label: string,
  request: ContractRequest,
  expectation: ContractExpectation | undefined,
  comparison: CompiledComparison,
  defaults: RequestDefaults,
  scopes: Record<Side, VariableScope>,
  context: CaseRunContext,
): Promise<{ exchange: ComparedExchange; responses: Record<Side, ReceivedResponse> }> {
  const sent = await sendToBoth(label, request, defaults, scopes, context);
  const result = comparison.compare(sent.old.response, sent.new.response);
  const expectationFailures = SIDES.flatMap((side) => {
    const problem = statusProblem(expectation, sent[side].response.status, false);
    return problem ? [`${side} side: ${problem}`] : [];
  });
  const sideExchange = (side: Side) => ({
    request: sent[side].sent,
    status: sent[side].response.status,
    durationMs: sent[side].response.durationMs,
  });
  return {
    exchange: {
      step: label,
      old: sideExchange('old'),
      new: sideExchange('new'),
      comparison: result,
      expectationFailures,
    },
    responses: { old: sent.old.response, new: sent.new.response },
  };
}

/** A setup step: both sides must meet the expectation (default 2xx); captures per side. */
async function runStep(
  label: string,
  step: ContractStep,
  defaults: RequestDefaults,
  scopes: Record<Side, VariableScope & { values: Map<string, unknown> }>,
  context: CaseRunContext,
  defaultTwoHundreds: boolean,
): Promise<void> {
  const sent = await sendToBoth(label, step.request, defaults, scopes, context);
  const problems: string[] = [];
  for (const side of SIDES) {
    const { response, sent: line } = sent[side];
    const problem = statusProblem(step.expect, response.status, defaultTwoHundreds);
    if (problem)
      problems.push(`${label} ${line}: ${side} side: ${problem}${bodyExcerpt(response)}`);
    // Captured even when the other side failed, so teardown can clean this side up.
    else applyCaptures(label, step.capture, side, response, scopes[side]);
  }
  if (problems.length > 0) throw new CaseError(problems.join('; '));
}

/** Teardown runs on each side on its own, as far as that side's variables allow. */
async function runTeardownStep(
  label: string,
  step: ContractStep,
  defaults: RequestDefaults,
  scopes: Record<Side, VariableScope>,
  context: CaseRunContext,
): Promise<string[]> {
  const problems = await Promise.all(
    SIDES.map(async (side) => {
      try {
        const prepared = prepareRequest(step.request, defaults, scopes[side]);
        const response = await sendRequest(
          context.dispatcher,
          side,
          context.baseUrls[side],
          prepared,
        );
        const problem = statusProblem(step.expect, response.status, true);
        return problem ? `${label}: ${side} side: ${problem}${bodyExcerpt(response)}` : null;
      } catch (error) {
        return `${label}: ${side} side: ${errorText(error)}`;
      }
    }),
  );
  return problems.filter((problem): problem is string => problem !== null);
}

function applyCaptures(
  label: string,
  capture: Readonly<Record<string, string>> | undefined,
  side: Side,
  response: ReceivedResponse,
  scope: { values: Map<string, unknown> },
): void {
  for (const [name, source] of Object.entries(capture ?? {})) {
    try {
      scope.values.set(name, captureValue(source, response));
    } catch (error) {
      throw new CaseError(
        `${label}: capture ${name} from the ${side} side (status ${response.status}): ${errorText(error)}`,
      );
    }
  }
}

/** Why `status` does not meet `expect.status` (or 2xx when asked), or null. */
export function statusProblem(
  expectation: ContractExpectation | undefined,
  status: number,
  defaultTwoHundreds: boolean,
): string | null {
  const expected = expectation?.status;
  if (expected === undefined) {
    return defaultTwoHundreds && (status < 200 || status > 299)
      ? `expected a 2xx status, got ${status}`
      : null;
  }
  const allowed = Array.isArray(expected) ? expected : [expected];
  return allowed.includes(status) ? null : `expected status ${allowed.join(' or ')}, got ${status}`;
}

function bodyExcerpt(response: ReceivedResponse): string {
  if (response.body.length === 0) return '';
  const text = response.body.toString('utf8', 0, Math.min(response.body.length, 300));
  return ` (body: ${text}${response.body.length > 300 ? '…' : ''})`;
}

function errorText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
