/**
 * The step engine: runs the steps in order from where the last run stopped (or `from`), each one
 * as header, explanation, change (a diff of routes.yaml or the file it uses), apply, verify; stops
 * at the first failed verification. Interactive unless `yes`. `undoLast` puts back the routes
 * file as it was before the last step that changed it.
 */
import path from 'node:path';

import { lineDiff, renderLineDiff } from '../../cli/routes/line-diff.js';
import { restoreRoutes, waitForFacadeToServe } from './routes-change.js';
import { readState, withCompleted, withoutLast, writeState } from './state-file.js';
import {
  parseStepAnswer,
  STEP_ANSWER_HINT,
  STEP_QUESTION,
  type StepAnswer,
} from './step-prompt.js';
import type { StepContext, WalkthroughStep } from './step.js';

/** Asks the user one question (interactive runs): the answer as typed (`step-prompt.ts`). */
export interface Prompter {
  ask(question: string): Promise<string>;
}

export interface WalkthroughRunOptions {
  readonly steps: readonly WalkthroughStep[];
  readonly context: StepContext;
  readonly stateFile: string;
  /** Unattended: apply every step without asking. */
  readonly yes: boolean;
  /** Start at this step id (steps after it run again; the state forgets them first). */
  readonly from?: string;
  /** Stop after this step id (the later ones stay as they are, for a later run). */
  readonly to?: string;
  /** Needed unless `yes`. */
  readonly prompter?: Prompter;
  /** Apply the steps before `from` first, without asking or printing them (a fresh stack). */
  readonly catchUp?: boolean;
}

export interface WalkthroughOutcome {
  /** No verification failed. */
  readonly ok: boolean;
  readonly verified: readonly string[];
  readonly notAvailable: readonly string[];
  /** The step whose verification failed (or threw). */
  readonly failed?: string;
  /** The user quit at a prompt. */
  readonly quit: boolean;
}

export class WalkthroughUsageError extends Error {}

export async function runWalkthrough(options: WalkthroughRunOptions): Promise<WalkthroughOutcome> {
  const { steps, context, stateFile } = options;
  const out = (text: string): void => context.io.out(text);
  let state = await readState(stateFile, context.target.routesFile);
  let start: number;
  if (options.from !== undefined) {
    start = steps.findIndex((step) => step.id === options.from);
    if (start < 0) {
      throw new WalkthroughUsageError(
        `no step "${options.from}"; the steps are: ${steps.map((s) => s.id).join(', ')}`,
      );
    }
    const earlier = new Set(steps.slice(0, start).map((step) => step.id));
    state = { ...state, completed: state.completed.filter((done) => earlier.has(done.id)) };
    if (options.catchUp) {
      for (const step of steps.slice(0, start)) {
        if (!step.available || !step.apply) continue;
        out(`catching up: ${step.id}\n`);
        const applied = await step.apply(context);
        state = withCompleted(state, record(step.id, applied.routesBefore, true));
      }
    }
    await writeState(stateFile, state);
  } else {
    const verified = new Set(state.completed.filter((d) => d.verified).map((d) => d.id));
    start = steps.findIndex((step) => step.available && !verified.has(step.id));
    if (start < 0) {
      out(
        'Every available step of the walkthrough is done. Run again from a step with --from <step>, or undo the last one with --undo.\n',
      );
      return {
        ok: true,
        verified: [],
        notAvailable: steps.filter((s) => !s.available).map((s) => s.id),
        quit: false,
      };
    }
    if (start > 0)
      out(`Resuming at step ${start + 1} (${steps[start].id}); --from <step> to choose.\n`);
  }

  let end = steps.length - 1;
  if (options.to !== undefined) {
    end = steps.findIndex((step) => step.id === options.to);
    if (end < 0) {
      throw new WalkthroughUsageError(
        `no step "${options.to}"; the steps are: ${steps.map((s) => s.id).join(', ')}`,
      );
    }
    if (end < start)
      throw new WalkthroughUsageError(`--to ${options.to} is before the first step to run`);
  }
  const verifiedIds: string[] = [];
  const notAvailable: string[] = [];
  let explanations = true;
  for (let index = start; index <= end; index += 1) {
    const step = steps[index];
    out(header(step, index, steps.length));
    if (explanations || !step.available) out(indent(step.explain) + '\n\n');
    if (!step.available) {
      out(`  not available yet: ${step.missing ?? 'the toolkit cannot do this step yet'}\n\n`);
      notAvailable.push(step.id);
      continue;
    }
    const change = step.change ? await step.change(context) : undefined;
    if (change) {
      out(`  change: ${change.summary}\n`);
      if (change.routes) {
        const name = path.basename(context.target.routesFile);
        const diff = renderLineDiff(
          lineDiff(change.routes.before, change.routes.after),
          name,
          context.io.color,
        );
        out(diff === '' ? `  (${name} already says this: unchanged)\n` : indent(diff) + '\n');
      }
      if (change.show) out(indent(change.show) + '\n');
      out('\n');
    }
    if (!options.yes) {
      if (!options.prompter)
        throw new WalkthroughUsageError('interactive runs need a terminal; pass --yes');
      let answer: StepAnswer | null = null;
      while (answer === null) {
        const text = await options.prompter.ask(STEP_QUESTION);
        answer = parseStepAnswer(text);
        if (answer === null) out(`  ${JSON.stringify(text.trim())}? ${STEP_ANSWER_HINT}\n`);
      }
      if (answer === 'quit') {
        out(`Stopped before ${step.id}. Run the walkthrough again to continue here.\n`);
        return { ok: true, verified: verifiedIds, notAvailable, quit: true };
      }
      if (answer === 'hide-explanations') explanations = false;
    }
    let ok = false;
    // A retry after a failed verification: undo still goes back to before the first attempt.
    const earlier = state.completed.find((done) => done.id === step.id)?.routesBefore;
    try {
      const applied = step.apply ? await step.apply(context) : {};
      const routesBefore = earlier ?? applied.routesBefore;
      state = withCompleted(state, record(step.id, routesBefore, false));
      await writeState(stateFile, state);
      out('  verifying...\n');
      const verification = step.verify ? await step.verify(context) : { ok: true, lines: [] };
      for (const line of verification.lines) out(indent(line) + '\n');
      ok = verification.ok;
      if (ok) {
        state = withCompleted(state, record(step.id, routesBefore, true));
        await writeState(stateFile, state);
      }
    } catch (error) {
      out(`  FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    if (!ok) {
      out(
        `\n  ✗ ${step.id}: verification failed. Fix the cause and run again to retry this step, or --undo to put the routes back.\n`,
      );
      return { ok: false, verified: verifiedIds, notAvailable, failed: step.id, quit: false };
    }
    out(`  ✓ ${step.id} verified\n\n`);
    verifiedIds.push(step.id);
  }
  if (end < steps.length - 1) {
    out(
      `Stopped after ${steps[end].id} (--to): ${verifiedIds.length} steps verified. Run again to continue at ${steps[end + 1].id}.\n`,
    );
    return { ok: true, verified: verifiedIds, notAvailable, quit: false };
  }
  out(
    `Walkthrough done: ${verifiedIds.length} steps verified` +
      (notAvailable.length > 0
        ? `, ${notAvailable.length} not available yet (${notAvailable.join(', ')})`
        : '') +
      '.\n',
  );
  return { ok: true, verified: verifiedIds, notAvailable, quit: false };
}

/** Undoes the last step recorded in the state file; returns its id (undefined: nothing to undo). */
export async function undoLast(
  options: Pick<WalkthroughRunOptions, 'steps' | 'context' | 'stateFile'>,
): Promise<string | undefined> {
  const { context, stateFile } = options;
  const state = await readState(stateFile, context.target.routesFile);
  const last = state.completed[state.completed.length - 1];
  if (!last) {
    context.io.out('Nothing to undo: no step of the walkthrough is recorded as done.\n');
    return undefined;
  }
  const step = options.steps.find((s) => s.id === last.id);
  if (last.routesBefore !== undefined) {
    await step?.beforeUndo?.(context);
    await restoreRoutes(context.target.routesFile, last.routesBefore);
    await waitForFacadeToServe(context.target, last.routesBefore);
    context.io.out(
      `Undid ${last.id}: ${path.basename(context.target.routesFile)} is back as it was before it, and the facade serves it.\n`,
    );
  } else {
    context.io.out(`Undid ${last.id}: it changed no routes; it is no longer recorded as done.\n`);
  }
  await writeState(stateFile, withoutLast(state));
  if (step === undefined)
    context.io.out(`(note: "${last.id}" is not a step of this walkthrough)\n`);
  return last.id;
}

function record(id: string, routesBefore: string | undefined, verified: boolean) {
  return {
    id,
    at: new Date().toISOString(),
    verified,
    ...(routesBefore !== undefined && { routesBefore }),
  };
}

function header(step: WalkthroughStep, index: number, total: number): string {
  const title = `Step ${index + 1}/${total} · ${step.id} · ${step.pattern}`;
  return `${'━'.repeat(Math.min(78, title.length + 4))}\n  ${title}\n  ${step.title}\n\n`;
}

function indent(text: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n');
}
