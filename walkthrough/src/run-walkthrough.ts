/**
 * What `strangler walkthrough` runs: the migration of `cards` out of the bundled example's
 * monolith, step by step (docs/walkthrough.md). Against the running example (`npm start` in another terminal; URLs
 * from flags or the environment, with the stack's defaults) or, with `--start-stack`, against its
 * own copy of the example on free ports.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CliError, EXIT_FAILED, EXIT_USAGE, type CliIo } from '../../cli/cli-io.js';
import { exampleDatabaseUrls } from '../../cli/example-databases.js';
import { DEFAULT_AUTH_TOKEN_SECRET } from '../../legacy-monolith/src/config/legacy-config.js';
import { localAdminToken } from '../../strangler-facade/src/admin/admin-token-file.js';
import { cardsWalkthrough } from './cards-steps.js';
import { runWalkthrough, undoLast, WalkthroughUsageError, type Prompter } from './engine.js';
import { startStack, type StartedStack } from './stack-runner.js';
import { stepPrompter } from './step-prompt.js';
import type { StepContext, WalkthroughTarget } from './step.js';
import type { WalkthroughCommandOptions } from './walkthrough-command.js';

/** The repository root: where routes.yaml, contracts/ and migrations/ are (from src or dist). */
export function findRepoRoot(start = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    if (
      existsSync(path.join(dir, 'package.json')) &&
      existsSync(path.join(dir, 'routes.yaml')) &&
      existsSync(path.join(dir, 'contracts'))
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the strangler repository root');
    dir = parent;
  }
}

/** Where the running example is, from the options, the environment, or the stack's defaults. */
export function targetFromOptions(
  options: WalkthroughCommandOptions,
  io: CliIo,
): WalkthroughTarget {
  const env = io.env;
  const local = (port: string | undefined, fallback: number): string =>
    `http://127.0.0.1:${port || fallback}`;
  const databases = exampleDatabaseUrls(env);
  const trim = (url: string): string => url.replace(/\/+$/, '');
  const routesFile = path.resolve(
    io.cwd,
    options.routes ?? env.STRANGLER_ROUTES_FILE ?? 'routes.yaml',
  );
  return {
    facadeUrl: trim(options.facade ?? local(env.STRANGLER_PORT, 8080)),
    adminUrl: trim(
      options.admin ?? env.STRANGLER_ADMIN_URL ?? local(env.STRANGLER_ADMIN_PORT, 8081),
    ),
    legacyUrl: trim(options.legacy ?? local(env.LEGACY_PORT, 3001)),
    cardsServiceUrl: trim(options.cardsService ?? local(env.CARDS_SERVICE_PORT, 3002)),
    searchServiceUrl: trim(options.searchService ?? local(env.SEARCH_SERVICE_PORT, 3003)),
    legacyDatabaseUrl: options.legacyDb ?? databases.legacy,
    cardsDatabaseUrl: options.cardsDb ?? databases.cards,
    searchDatabaseUrl: options.searchDb ?? databases.search,
    routesFile,
    adminToken: localAdminToken({ ...env, STRANGLER_ROUTES_FILE: routesFile }, io.cwd),
    authTokenSecret: env.AUTH_TOKEN_SECRET || DEFAULT_AUTH_TOKEN_SECRET,
  };
}

/** Runs the command; returns the exit code. */
export async function runWalkthroughCommand(
  options: WalkthroughCommandOptions,
  io: CliIo,
): Promise<number> {
  const steps = cardsWalkthrough();
  if (options.list) {
    steps.forEach((step, index) =>
      io.out(
        `${String(index + 1).padStart(2)}. ${step.id.padEnd(18)} ${step.title}${step.available ? '' : '  (not available yet)'}\n`,
      ),
    );
    return 0;
  }
  if (options.startStack && options.undo) {
    throw new CliError(['--undo works on the running example, not with --start-stack'], EXIT_USAGE);
  }
  const repoRoot = findRepoRoot();
  let stack: StartedStack | undefined;
  let closePrompter = (): void => undefined;
  try {
    let target: WalkthroughTarget;
    let stateFile: string;
    if (options.startStack) {
      io.out(
        'Starting the example stack (PostgreSQL, legacy, cards-service, search-service, sync, facade) on free ports...\n',
      );
      stack = await startStack(repoRoot, {
        ...(options.verbose && { log: (line: string) => io.out(`  | ${line}\n`) }),
        onInterrupt: () => io.out('\nInterrupted: stopping the example stack...\n'),
      });
      target = stack.target;
      stateFile = options.state
        ? path.resolve(io.cwd, options.state)
        : path.join(stack.directory, 'walkthrough-state.json');
      io.out(
        `The example is up: facade ${target.facadeUrl}, admin ${target.adminUrl}, rules ${target.routesFile}\n\n`,
      );
    } else {
      target = targetFromOptions(options, io);
      stateFile = path.resolve(io.cwd, options.state ?? '.strangler/walkthrough-state.json');
      if (!existsSync(target.routesFile)) {
        throw new CliError([`${target.routesFile}: no routes file here (--routes FILE)`]);
      }
    }
    await checkReachable(target);
    const context: StepContext = {
      target,
      repoRoot,
      io,
      note: (line) => io.out(`  ${line}\n`),
    };
    if (options.undo) {
      await undoLast({ steps, context, stateFile });
      return 0;
    }
    let prompter: Prompter | undefined;
    if (!options.yes && io.input !== undefined) {
      const stepAnswers = stepPrompter(io.input, io.out);
      closePrompter = () => stepAnswers.close();
      prompter = stepAnswers;
    }
    const outcome = await runWalkthrough({
      steps,
      context,
      stateFile,
      yes: options.yes === true,
      ...(options.from !== undefined && { from: options.from }),
      ...(options.to !== undefined && { to: options.to }),
      ...(prompter && { prompter }),
      catchUp: options.startStack === true,
    });
    return outcome.ok ? 0 : EXIT_FAILED;
  } catch (error) {
    if (error instanceof WalkthroughUsageError) throw new CliError([error.message], EXIT_USAGE);
    throw error;
  } finally {
    closePrompter();
    if (stack) {
      io.out('Stopping the example stack...\n');
      await stack.stop();
    }
  }
}

/** The facade's admin plane answers: the example is running where the options say. */
async function checkReachable(target: WalkthroughTarget): Promise<void> {
  try {
    const response = await fetch(`${target.adminUrl}/health`, {
      signal: AbortSignal.timeout(5000),
    });
    if (response.ok) return;
  } catch {
    // reported below
  }
  throw new CliError([
    `cannot reach the facade admin plane at ${target.adminUrl}: is the example running ` +
      '(npm start in another terminal)? Or pass --start-stack to start a private copy.',
  ]);
}
