/**
 * Mounts `strangler walkthrough` on the toolkit's CLI. The command's code (the steps, the sync and
 * contract checks) is loaded only when it runs, so other commands start as fast as before.
 */
import type { Command } from 'commander';

import type { CliIo } from '../../cli/cli-io.js';

export interface WalkthroughCommandOptions {
  readonly yes?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly undo?: boolean;
  readonly list?: boolean;
  readonly startStack?: boolean;
  readonly verbose?: boolean;
  readonly state?: string;
  readonly routes?: string;
  readonly facade?: string;
  readonly admin?: string;
  readonly legacy?: string;
  readonly cardsService?: string;
  readonly searchService?: string;
  readonly legacyDb?: string;
  readonly cardsDb?: string;
  readonly searchDb?: string;
}

/** Mounts `walkthrough` on the toolkit's CLI. */
export function addWalkthroughCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('walkthrough')
    .description('step through migrating cards out of the bundled example (docs/walkthrough.md)')
    .option('-y, --yes', 'apply every step without asking (unattended)')
    .option('--from <step>', 'start at this step (the later ones run again)')
    .option('--to <step>', 'stop after this step (run again to continue)')
    .option('--undo', 'undo the last step done (puts routes.yaml back as it was before it)')
    .option('--list', 'list the steps')
    .option(
      '--start-stack',
      'start a private copy of the example on free ports, stop it at the end',
    )
    .option('--verbose', 'with --start-stack: show the stack output')
    .option('--state <file>', 'state file (default .strangler/walkthrough-state.json)')
    .option('--routes <file>', 'the routes file the facade watches (default routes.yaml)')
    .option('--facade <url>', 'facade (default http://127.0.0.1:$STRANGLER_PORT or 8080)')
    .option(
      '--admin <url>',
      'facade admin (default http://127.0.0.1:$STRANGLER_ADMIN_PORT or 8081)',
    )
    .option('--legacy <url>', 'legacy-monolith (default http://127.0.0.1:3001)')
    .option('--cards-service <url>', 'cards-service (default http://127.0.0.1:3002)')
    .option('--search-service <url>', 'search-service (default http://127.0.0.1:3003)')
    .option(
      '--legacy-db <url>',
      'legacy database (default $LEGACY_DATABASE_URL or the embedded one)',
    )
    .option('--cards-db <url>', 'cards database (default $CARDS_DATABASE_URL or the embedded one)')
    .option(
      '--search-db <url>',
      'search database (default $SEARCH_DATABASE_URL or the embedded one)',
    )
    .action(async (options: WalkthroughCommandOptions) => {
      const { runWalkthroughCommand } = await import('./run-walkthrough.js');
      setExitCode(await runWalkthroughCommand(options, io));
    });
}
