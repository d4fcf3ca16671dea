#!/usr/bin/env node
/**
 * `strangler`: the toolkit's one command line.
 *
 *   strangler routes list|validate|explain|flip|weight|sticky|shadow|diffs|status   (docs/cli.md)
 *   strangler sync ...         change data capture pipelines (strangler-sync)
 *   strangler contracts ...    contract tests old versus new (strangler-contracts)
 *   strangler walkthrough      migrate cards out of the bundled example, step by step (docs/walkthrough.md)
 *
 * Exit codes (cli-io.ts): 0 done / valid (also when the reader of the output goes away), 1 invalid
 * file, refused edit, failed request or a refused change pending, 2 bad command line.
 * `runStrangler` runs the whole program in-process (tests); the bottom of the file is the entry.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Command, CommanderError } from 'commander';

import { RulesError } from '../strangler-facade/src/rules/load-rules.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from './cli-io.js';
import { missingDatabaseUrlVariables } from './example-databases.js';
import { addRoutesCommand } from './routes/routes-command.js';
import { addWalkthroughCommand } from '../walkthrough/src/walkthrough-command.js';

export async function runStrangler(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const setExitCode = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('strangler')
    .description('Strangler Fig migration toolkit: route rules, sync pipelines, contract tests')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .enablePositionalOptions()
    .showHelpAfterError('(strangler --help for usage)');
  addRoutesCommand(program, io, setExitCode);
  addSubCli(program, 'sync', 'change data capture pipelines (strangler-sync)', async (args) => {
    const { buildCli } = await import('../strangler-sync/src/cli.js');
    const sync = buildCli().name('strangler sync');
    inheritOutput(sync, io);
    const before = process.exitCode;
    // The pipelines read their databases from *_DATABASE_URL (urlEnv): unset ones default to the
    // example's, as the walkthrough's do, for as long as the command runs.
    const defaults = missingDatabaseUrlVariables(io.env);
    const unset = Object.keys(defaults).filter((name) => process.env[name] === undefined);
    for (const name of unset) process.env[name] = defaults[name];
    try {
      await sync.parseAsync(args, { from: 'user' });
    } finally {
      for (const name of unset) delete process.env[name];
    }
    if (process.exitCode !== before && Number(process.exitCode) > 0) {
      setExitCode(Number(process.exitCode));
      process.exitCode = before;
    }
  });
  addSubCli(
    program,
    'contracts',
    'contract tests old versus new (strangler-contracts)',
    async (args) => {
      const { runCli } = await import('../strangler-contracts/src/cli.js');
      setExitCode(await runCli(args, { out: io.out, err: io.err, env: io.env, isTty: io.color }));
    },
  );
  addWalkthroughCommand(program, io, setExitCode);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    return exitCodeOf(error, io);
  }
  return exitCode;
}

/** A sub-CLI mounted as `strangler <name> ...`: every argument after the name goes to it. */
function addSubCli(
  program: Command,
  name: string,
  description: string,
  run: (args: string[]) => Promise<void>,
): void {
  program
    .command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[args...]')
    .action((args: string[]) => run(args));
}

/** Commander settings are copied to subcommands only when they are created: apply them down. */
function inheritOutput(command: Command, io: CliIo): void {
  command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const sub of command.commands) inheritOutput(sub, io);
}

function exitCodeOf(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
      return EXIT_OK;
    // Commander already printed the message, or the help (a bare `strangler routes` is a usage error).
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (error instanceof CliError) {
    for (const line of error.lines) io.err(line + '\n');
    return error.exitCode;
  }
  if (error instanceof RulesError) {
    for (const line of error.errors) io.err(line + '\n');
    return EXIT_FAILED;
  }
  io.err(`strangler: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_FAILED;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  runStrangler(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `strangler: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = EXIT_FAILED;
    },
  );
}
