#!/usr/bin/env node
/**
 * `strangler-contracts run --old <url> --new <url> [--cases contracts/cards] [--vars file]
 *   [--var name=value]... [--junit report.xml] [--only pattern]... [--concurrency 4]
 *   [--timeout 10000] [--json result.json] [--no-color]`
 *
 * Exit codes: 0 every case passed; 1 a case failed or could not run; 2 bad case files,
 * variables or options, or a side that does not accept connections.
 */
import { Command, InvalidArgumentError } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderJunitXml } from './junit-report.js';
import { ContractCasesError } from './load-case-files.js';
import { parseVarAssignments } from './load-vars.js';
import { renderCaseLine, renderRunReport } from './render-report.js';
import { ContractSideUnreachableError, runContracts } from './run-contracts.js';

export const EXIT_PASSED = 0;
export const EXIT_FAILED = 1;
export const EXIT_UNUSABLE = 2;

interface RunFlags {
  old: string;
  new: string;
  cases: string[];
  vars?: string;
  var: string[];
  junit?: string;
  json?: string;
  only: string[];
  concurrency: number;
  timeout: number;
  color: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidArgumentError('expected a positive integer');
  return number;
};

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTty: boolean;
}

/** Runs the CLI with `argv` (without `node script`); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_PASSED;
  const program = new Command('strangler-contracts')
    .description('Contract tests old versus new: the same requests, field-by-field compared.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command('run')
    .description('run contract cases against the old and the new side')
    .requiredOption('--old <url>', 'base URL of the old side (the monolith)')
    .requiredOption('--new <url>', 'base URL of the new side (the extracted service)')
    .option('--cases <path>', 'case file or directory (repeatable; default: contracts)', collect)
    .option('--vars <file>', 'YAML/JSON file of variables (tokens, ids)')
    .option('--var <name=value>', 'a variable (repeatable; wins over --vars)', collect, [])
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write the whole result as JSON')
    .option(
      '--only <pattern>',
      'only cases whose id, endpoint or file contains this; /regex/ too (repeatable)',
      collect,
      [],
    )
    .option('--concurrency <n>', 'cases in flight at once', positiveInt, 4)
    .option('--timeout <ms>', 'per request, unless a case says otherwise', positiveInt, 10_000)
    .option('--no-color', 'no ANSI colours in the diff')
    .action(async (flags: RunFlags) => {
      exitCode = await run(flags, io);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { code?: string; exitCode?: number }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return EXIT_PASSED;
    if (code?.startsWith('commander.')) return EXIT_UNUSABLE;
    throw error;
  }
  return exitCode;
}

async function run(flags: RunFlags, io: CliIo): Promise<number> {
  try {
    const result = await runContracts({
      oldBaseUrl: flags.old,
      newBaseUrl: flags.new,
      cases: flags.cases ?? ['contracts'],
      ...(flags.vars !== undefined && { varsFile: flags.vars }),
      vars: parseVarAssignments(flags.var),
      env: io.env,
      only: flags.only,
      concurrency: flags.concurrency,
      timeoutMs: flags.timeout,
      onCaseDone: (caseResult) => io.out(renderCaseLine(caseResult) + '\n'),
    });
    io.out('\n' + renderRunReport(result, { color: flags.color && io.isTty }));
    if (flags.junit) await writeReport(flags.junit, renderJunitXml(result), io);
    if (flags.json) await writeReport(flags.json, JSON.stringify(result, null, 2) + '\n', io);
    return result.ok ? EXIT_PASSED : EXIT_FAILED;
  } catch (error) {
    if (error instanceof ContractCasesError || error instanceof ContractSideUnreachableError) {
      io.err(`strangler-contracts: ${error.message}\n`);
      return EXIT_UNUSABLE;
    }
    throw error;
  }
}

async function writeReport(file: string, content: string, io: CliIo): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, content);
  io.out(`wrote ${file}\n`);
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    isTty: process.stdout.isTTY === true,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `strangler-contracts: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = EXIT_UNUSABLE;
    },
  );
}
