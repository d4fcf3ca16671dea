/**
 * `strangler routes ...`: list, validate, explain, flip, weight, sticky, shadow start|stop, diffs,
 * record-cases, status.
 * Editing commands work on the file (the running facade reloads it); reading commands work on the
 * file or, with `--admin`, on a running facade.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';

import { stickyText } from '../../strangler-facade/src/routing/sticky-bucket.js';
import type { StickyByConfig } from '../../strangler-facade/src/rules/rule-schema.js';
import { CliError, EXIT_USAGE, type CliIo } from '../cli-io.js';
import { editRoutes, type EditOptions } from './edit-routes.js';
import { explainRoute, type ExplainOptions } from './explain-route.js';
import { listRoutes, type ListOptions } from './list-routes.js';
import { recordCasesCommand, type RecordCasesCliOptions } from './record-cases.js';
import { showDiffs, type DiffsOptions } from './show-diffs.js';
import { showStatus, type StatusOptions } from './show-status.js';
import { parseStickyKey, parseStickyKeyOption, STICKY_KEY_HELP } from './sticky-key-argument.js';
import { validateRoutes, type ValidateOptions } from './validate-routes.js';

const FILE_HELP = 'rules file (default: $STRANGLER_ROUTES_FILE or ./routes.yaml)';
const ADMIN_HELP =
  'facade admin URL (default: $STRANGLER_ADMIN_URL or http://127.0.0.1:$STRANGLER_ADMIN_PORT|8081)';
const WAIT_HELP = 'after writing, wait until the facade at this admin URL serves the new file';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A percentage in a place commander did not parse: a usage error when it is not one. */
function parsePercentArgument(value: string): number {
  try {
    return parsePercent(value);
  } catch (error) {
    throw new CliError([`routes weight: ${value}: ${(error as Error).message}`], EXIT_USAGE);
  }
}

/** `10`, `2.5`, `10%` → a number in 0..100. */
export function parsePercent(value: string): number {
  const number = Number(value.trim().replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 100) {
    throw new InvalidArgumentError('expected a percentage from 0 to 100 (decimals allowed)');
  }
  return number;
}

function positiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidArgumentError('expected a positive integer');
  return number;
}

export function addRoutesCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): Command {
  const routes = program
    .command('routes')
    .description(
      'route rules of the facade: list, validate, explain, flip, weight, sticky, shadow, diffs, status',
    );

  routes
    .command('list')
    .description('the rules in match order and where each sends traffic')
    .option('-f, --file <file>', FILE_HELP)
    .option('--admin [url]', `ask a running facade instead of reading the file; ${ADMIN_HELP}`)
    .option('--json', 'print JSON')
    .action((options: ListOptions & { admin?: string | true }) =>
      listRoutes({ ...options, admin: adminOption(options.admin) }, io),
    );

  routes
    .command('validate')
    .description('check rules files offline, as the facade would load them (CI, pre-commit)')
    .argument('<files...>', 'routes.yaml files')
    .option('--env', 'also apply STRANGLER_UPSTREAM_<NAME>_URL overrides from the environment')
    .addOption(
      new Option('--format <format>', 'text, or github (error annotations in GitHub Actions)')
        .choices(['text', 'github'])
        .default('text'),
    )
    .action(async (files: string[], options: ValidateOptions) => {
      setExitCode(await validateRoutes(files, options, io));
    });

  routes
    .command('explain')
    .description('which rule and upstream a request would get')
    .option('-X, --method <method>', 'HTTP method', 'GET')
    .requiredOption('-p, --path <path>', 'request path, query allowed (/cards/1?preview=1)')
    .option('-H, --header <name:value>', 'request header (repeatable)', collect, [])
    .option('--cookie <name=value>', 'cookie (repeatable)', collect, [])
    .option('--query <name=value>', 'query parameter (repeatable)', collect, [])
    .option(
      '--client <ip>',
      'client address (internal headers count only from settings.trustedClients)',
    )
    .option('-f, --file <file>', FILE_HELP)
    .option('--admin [url]', `ask a running facade (GET /explain); ${ADMIN_HELP}`)
    .option('--json', 'print JSON')
    .action((options: ExplainOptions & { admin?: string | true }) =>
      explainRoute({ ...options, admin: adminOption(options.admin) }, io),
    );

  /** The options every editing command takes. */
  const withEditOptions = (command: Command): Command =>
    command
      .option('-f, --file <file>', FILE_HELP)
      .option('--dry-run', 'validate and show the diff, write nothing')
      .option('--admin [url]', WAIT_HELP)
      .option('--wait <ms>', 'how long --admin waits', positiveInt, 5000);
  const editCommand = (name: string, description: string): Command =>
    withEditOptions(routes.command(name).description(description));
  const editOptions = (options: RawEditOptions): EditOptions => ({
    ...(options.file !== undefined && { file: options.file }),
    ...(options.admin !== undefined && { admin: adminOption(options.admin) }),
    dryRun: options.dryRun === true,
    waitMs: options.wait,
  });

  editCommand('flip', 'send a rule to another upstream (its primary)')
    .argument('<rule>', "rule name (or the default rule's name)")
    .argument('<upstream>', 'upstream name')
    .action((rule: string, upstream: string, options: RawEditOptions) =>
      editRoutes(editOptions(options), io, `${rule} → ${upstream}`, (rules) =>
        rules.setUpstream(rule, upstream),
      ),
    );

  editCommand('weight', "canary: send a sticky share of a rule's traffic to another upstream")
    .argument('<rule>', 'rule name')
    .argument(
      '<upstream>',
      'canary upstream; "off" removes the canary; a percentage alone changes an existing canary',
    )
    .argument('[percent]', '0..100, decimals allowed', parsePercent)
    .option(
      '--sticky-by <key>',
      `the canary's sticky key (default: settings.stickyBy): ${STICKY_KEY_HELP}`,
      parseStickyKeyOption,
    )
    .action(
      (
        rule: string,
        upstream: string,
        percent: number | undefined,
        options: RawEditOptions & { stickyBy?: StickyByConfig },
      ) => {
        const edit = editOptions(options);
        if (upstream === 'off' && percent === undefined) {
          return editRoutes(edit, io, `${rule}: no canary`, (rules) => rules.clearCanary(rule));
        }
        if (percent === undefined && /^[\d.]/.test(upstream)) {
          // `weight <rule> 25`: upstream names start with a letter, so this is a percentage.
          const share = parsePercentArgument(upstream);
          return editRoutes(edit, io, `${rule}: canary ${share}%`, (rules) => {
            rules.setCanaryPercent(rule, share);
            if (options.stickyBy) rules.setCanaryStickyBy(rule, options.stickyBy);
          });
        }
        if (percent === undefined) {
          throw new CliError(
            [
              `routes weight: missing <percent>: routes weight ${rule} ${upstream} <percent> ` +
                '(or "off" to remove the canary)',
            ],
            EXIT_USAGE,
          );
        }
        return editRoutes(edit, io, `${rule}: ${percent}% → ${upstream}`, (rules) => {
          rules.setCanary(rule, { upstream, percent });
          if (options.stickyBy) rules.setCanaryStickyBy(rule, options.stickyBy);
        });
      },
    );

  editCommand('sticky', "set the sticky key of a rule's canary (one user, one side)")
    .argument('<rule>', 'rule name (the rule has a canary)')
    .argument('<key>', `${STICKY_KEY_HELP}, or default (use settings.stickyBy)`, parseStickyKey)
    .action((rule: string, key: StickyByConfig | null, options: RawEditOptions) =>
      editRoutes(
        editOptions(options),
        io,
        `${rule}: canary sticky by ${key === null ? 'settings.stickyBy' : stickyText(key)}`,
        (rules) => rules.setCanaryStickyBy(rule, key),
      ),
    );

  const shadow = routes
    .command('shadow')
    .description("copy a rule's requests to another upstream and compare the answers");
  withEditOptions(
    shadow
      .command('start')
      .description('start (or change) shadowing of a rule')
      .argument('<rule>', 'rule name')
      .argument('<upstream>', 'shadow upstream')
      .option('--percent <percent>', 'share of requests shadowed', parsePercent, 100),
  ).action((rule: string, upstream: string, options: RawEditOptions & { percent: number }) =>
    editRoutes(
      editOptions(options),
      io,
      `${rule}: shadow ${options.percent}% → ${upstream}`,
      (rules) => rules.setShadow(rule, { upstream, percent: options.percent }),
    ),
  );
  withEditOptions(
    shadow.command('stop').description('stop shadowing a rule').argument('<rule>', 'rule name'),
  ).action((rule: string, options: RawEditOptions) =>
    editRoutes(editOptions(options), io, `${rule}: no shadow`, (rules) => rules.clearShadow(rule)),
  );

  routes
    .command('diffs')
    .description('shadow comparison results of a running facade')
    .option('--rule <name>', 'one rule, with its last mismatches')
    .option('--limit <n>', 'mismatches shown with --rule', positiveInt, 20)
    .option('--admin <url>', ADMIN_HELP)
    .option('--json', 'print JSON')
    .action((options: DiffsOptions) => showDiffs(options, io));

  routes
    .command('record-cases')
    .description("write a rule's shadow mismatches and sampled matches as contract cases")
    .requiredOption('--rule <name>', 'the shadowed rule')
    .requiredOption('--out <dir>', 'directory for <rule>.recorded.yaml')
    .option('--admin <url>', ADMIN_HELP)
    .option('--include <kinds>', 'mismatches, matches or both', 'mismatches,matches')
    .option('--keep-auth', 'keep authorization and cookie headers (default: dropped)')
    .action((options: RecordCasesCliOptions) => recordCasesCommand(options, io));

  routes
    .command('status')
    .description(
      'rules version, refused reloads, upstreams and rollouts of a running facade ' +
        '(exit 1 while a change is refused)',
    )
    .option('--admin <url>', ADMIN_HELP)
    .option('--json', 'print JSON')
    .action(async (options: StatusOptions) => {
      setExitCode(await showStatus(options, io));
    });

  return routes;
}

/** What commander hands an editing command's action. */
interface RawEditOptions {
  readonly file?: string;
  readonly dryRun?: boolean;
  readonly admin?: string | true;
  readonly wait: number;
}

/** `--admin` alone means "the default admin URL" (empty string → resolved by adminClient). */
function adminOption(value: string | true | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value === true ? '' : value;
}
