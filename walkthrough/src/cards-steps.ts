/**
 * The walkthrough of the bundled example: moving `cards` out of the monolith, step by step.
 * docs/walkthrough.md tells the same story in the same order.
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
import {
  cardsSuiteVars,
  explainRoute,
  facadeRules,
  publishedCardIds,
  shadowCounts,
  shadowSummary,
  throughFacade,
} from './checks.js';
import {
  applyRoutesEdit,
  insertRuleBefore,
  previewRoutesEdit,
  setRuleKey,
  waitForFacadeToServe,
  type RoutesEdit,
} from './routes-change.js';
import type { StepChange, StepContext, VerifyResult, WalkthroughStep } from './step.js';

const NEW = 'cards-service';
const OLD = 'legacy';
const BY_ID = 'cards-get-by-id';
const READS = 'cards-reads';
/** Requests sent through the facade by the shadow and canary checks. */
const SHADOW_READS = 40;
const CANARY_USERS = 200;
const CANARY_PERCENT = 10;

/** A step whose change is an edit of routes.yaml. */
function routesStep(
  step: Omit<WalkthroughStep, 'available' | 'change' | 'apply'> & {
    readonly summary: string;
    readonly edit: (context: StepContext) => RoutesEdit;
  },
): WalkthroughStep {
  return {
    ...step,
    available: true,
    async change(context): Promise<StepChange> {
      const file = context.target.routesFile;
      const before = await readFile(file, 'utf8');
      const after = previewRoutesEdit(before, path.basename(file), step.edit(context));
      return { summary: step.summary, routes: { before, after } };
    },
    async apply(context) {
      const { before, after } = await applyRoutesEdit(
        context.target.routesFile,
        step.edit(context),
      );
      const version = await waitForFacadeToServe(context.target.adminUrl, after);
      context.note(`the facade serves the new rules (version ${version ?? '?'})`);
      return { routesBefore: before };
    },
  };
}

function result(lines: string[], failures: string[]): VerifyResult {
  return { ok: failures.length === 0, lines: [...lines, ...failures.map((f) => `FAILED: ${f}`)] };
}

/** GET each path through the facade; checks the upstream that answered. */
async function expectUpstream(
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

async function explainExpect(
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

function pipelineFile(context: StepContext): string {
  return path.join(context.repoRoot, 'migrations/pipelines/cards.pipeline.yaml');
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

export function cardsWalkthrough(): WalkthroughStep[] {
  return [
    routesStep({
      id: 'baseline',
      title: 'Put the facade in front: everything still goes to the monolith',
      pattern: 'Strangler Fig (the facade)',
      explain: `A strangler fig grows around a tree until it can stand on its own. Here the "fig" is
the facade: an HTTP proxy every client talks to instead of the monolith. It routes each
request by the rules in routes.yaml (first match wins). At the start every rule points at
"legacy", so nothing changes for anyone: the facade only adds the headers X-Strangler-Route
and X-Strangler-Upstream that say which rule matched and who answered. From now on moving an
endpoint is an edit of one line, and moving it back is the same edit undone.`,
      summary: 'routes.yaml: every rule, and the default, to legacy; no canary, no shadow',
      edit: () => ({
        editor: (rules) => {
          for (const name of rules.ruleNames) {
            rules.setUpstream(name, OLD);
            rules.clearCanary(name);
            rules.clearShadow(name);
          }
        },
      }),
      async verify(context) {
        const lines: string[] = [];
        const failures: string[] = [];
        const rules = await facadeRules(context.target);
        for (const rule of rules.rules) {
          lines.push(`admin /rules: ${rule.name} -> ${rule.upstream}`);
          if (rule.upstream !== OLD) failures.push(`rule ${rule.name} goes to ${rule.upstream}`);
          if (rule.canary || rule.shadow)
            failures.push(`rule ${rule.name} still has a canary or shadow`);
        }
        if (rules.default && rules.default.upstream !== OLD)
          failures.push('the default rule is not legacy');
        const [id] = await publishedCardIds(context.target, 1);
        await expectUpstream(context, [`/cards/${id}`, '/cards?pageSize=5'], OLD, lines, failures);
        return result(lines, failures);
      },
    }),
    {
      id: 'extract-and-sync',
      title: 'Extract cards-service and keep its database in sync',
      pattern: 'Change Data Capture (database per service)',
      explain: `cards-service is the same cards API as the monolith's, with its own database. It
needs the monolith's rows, and it needs them current while the monolith still takes every
write. The sync pipeline does that with change data capture: it reads the legacy database's
write-ahead log through a logical replication slot, turns each row change into a change event,
and applies it to the cards database through the mapping in the pipeline file (which tables,
renamed how, which columns left out). It first copies every row inside the slot's snapshot,
then streams. The slot is acknowledged only after the target commits, so a crash replays and
loses nothing. \`npm start\` already started this pipeline; this step shows it and checks it:
the pipeline streams, and the two databases hold the same rows under the mapping.`,
      available: true,
      async change(context) {
        const file = pipelineFile(context);
        return {
          summary: `the cards pipeline (${path.relative(context.repoRoot, file)}), started by npm start`,
          show: await readFile(file, 'utf8'),
        };
      },
      async apply(context) {
        context.note(
          'nothing to write: the stack started the pipeline (strangler sync start cards)',
        );
        return {};
      },
      async verify(context) {
        const lines: string[] = [];
        const failures: string[] = [];
        const definition = await loadPipelineDefinition(pipelineFile(context));
        const urls = {
          sourceUrl: context.target.legacyDatabaseUrl,
          targetUrl: context.target.cardsDatabaseUrl,
        };
        const status = await readPipelineStatus(definition, urls);
        lines.push(
          `sync status: phase ${status.phase}, lag ${status.lagSeconds ?? '?'} s ` +
            `(${status.lagBytes ?? '?'} bytes of WAL held by the slot), dead letters ${status.deadLetters}`,
        );
        if (status.phase !== 'streaming')
          failures.push(
            `the pipeline is ${status.phase}, not streaming${status.error ? ` (${status.error})` : ''}`,
          );
        if (status.deadLetters > 0) failures.push(`${status.deadLetters} dead letters`);
        // A change in flight makes one comparison differ: look again after a moment.
        let report = await verifyPipeline(definition, urls);
        for (let attempt = 0; !report.identical && attempt < 10; attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          report = await verifyPipeline(definition, urls);
        }
        for (const table of report.tables) {
          lines.push(
            `verify ${table.source} -> ${table.target}: ${table.sourceRows} / ${table.targetRows} rows, ${table.differences.length} differences`,
          );
        }
        if (!report.identical)
          failures.push('the databases differ under the mapping (strangler sync verify cards)');
        return result(lines, failures);
      },
    },
    routesStep({
      id: 'shadow',
      title: 'Shadow reads: ask both, answer from legacy, compare',
      pattern: 'Parallel Run (shadow traffic)',
      explain: `Before any user gets an answer from cards-service, let it answer in the dark. With a
"shadow" on the GET /cards/:id rule, the facade answers every such request from legacy as
before, and afterwards sends a copy to cards-service and compares the two answers (status,
body field by field, content-type). The client never waits for the copy. The comparison is
counted per route ("N failing of M compared") and the differing answers are kept for reading
(strangler routes diffs). This step sends ${SHADOW_READS} reads through the facade and reads
the summary: the new service is ready for real traffic when nothing fails.`,
      summary: `routes.yaml: ${BY_ID} shadows to ${NEW} (strangler routes shadow start ${BY_ID} ${NEW})`,
      edit: () => ({ editor: (rules) => rules.setShadow(BY_ID, { upstream: NEW, percent: 100 }) }),
      async verify(context) {
        const lines: string[] = [];
        const failures: string[] = [];
        const before = shadowCounts((await shadowSummary(context.target)).routes, BY_ID);
        const ids = await publishedCardIds(context.target, SHADOW_READS);
        for (const id of ids) {
          const answer = await throughFacade(context.target, `/cards/${id}`);
          if (answer.upstream !== OLD)
            failures.push(`/cards/${id} was answered by ${answer.upstream ?? '?'}`);
        }
        lines.push(
          `sent ${ids.length} reads of GET /cards/:id through the facade (answered by legacy)`,
        );
        let now = before;
        const deadline = Date.now() + 15_000;
        while (now.compared - before.compared < ids.length && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          now = shadowCounts((await shadowSummary(context.target)).routes, BY_ID);
        }
        const compared = now.compared - before.compared;
        const failing = now.failing - before.failing;
        lines.push(
          `shadow summary (admin /shadow/summary): ${failing} failing of ${compared} compared`,
        );
        lines.push(`  (all time for ${BY_ID}: ${now.failing} failing of ${now.compared} compared)`);
        const table = (await shadowSummary(context.target)).table.trim();
        if (table !== '') lines.push(...table.split('\n'));
        if (compared < ids.length)
          failures.push(`only ${compared} of ${ids.length} reads were compared`);
        if (failing > 0)
          failures.push(`${failing} answers differ: strangler routes diffs ${BY_ID}`);
        return result(lines, failures);
      },
    }),
    {
      id: 'contracts',
      title: 'Contract tests: the cards API, old versus new',
      pattern: 'Parallel Run (contract tests)',
      explain: `Shadow traffic only sees the requests users happen to make. The contract suite in
contracts/cards/ covers the cards API on purpose: every endpoint and its error cases (404,
400, 401, 403). Each case runs against legacy and against cards-service directly, and the two
answers are compared after the declared normalisation (ignored fields, unordered arrays); a
failing case prints which field differs. Reads move only when this passes.
Here only the read-only cases run (every request GET): while the monolith owns the data and the
sync copies it one way, a write sent straight to cards-service's database would fight the sync
(a tag created on both sides collides, and the pipeline stops rather than lose a change). The
suite's write cases belong to the step that moves the writes.`,
      available: true,
      async change(context) {
        return {
          summary: 'no change: run the read-only cases of contracts/cards against both sides',
          show: `strangler contracts run --cases contracts/cards --old ${context.target.legacyUrl} --new ${context.target.cardsServiceUrl} --vars <vars file> --only <each read-only case>`,
        };
      },
      async apply() {
        return {};
      },
      async verify(context) {
        const suite = path.join(context.repoRoot, 'contracts/cards');
        const caseFiles = await loadCaseFiles([suite]);
        const only = readOnlyCaseIds(caseFiles).map((id) => `/^${escapeRegExp(id)}$/`);
        const vars = await cardsSuiteVars(context.target);
        const run = await runContracts({
          oldBaseUrl: context.target.legacyUrl,
          newBaseUrl: context.target.cardsServiceUrl,
          caseFiles,
          vars,
          only,
          concurrency: 4,
        });
        const lines = run.endpoints.map(
          (tally) =>
            `${tally.endpoint.padEnd(26)} ${tally.passed} of ${tally.cases} passed` +
            (tally.failed + tally.errors > 0
              ? `, ${tally.failed} failed, ${tally.errors} errors`
              : ''),
        );
        lines.push(
          `read-only contract cases: ${run.totals.cases}, passed ${run.totals.passed}, failed ${run.totals.failed}, errors ${run.totals.errors}`,
        );
        if (!run.ok || run.totals.cases === 0)
          return { ok: false, lines: [...lines, renderRunReport(run)] };
        return { ok: true, lines };
      },
    },
    routesStep({
      id: 'canary',
      title: `Canary: ${CANARY_PERCENT}% of readers get cards-service`,
      pattern: 'Strangler Fig (canary release)',
      explain: `Now real users get answers from cards-service, a few at first. A canary of
${CANARY_PERCENT}% on GET /cards/:id sends that share of requests to cards-service and the rest to
legacy. The split is sticky: the facade hashes a key of the request (here the X-User-Id
header) into a bucket, so the same user always lands on the same side, and raising the
percentage later keeps everyone who was already on the new side there. If cards-service
fails, the facade's circuit breaker sends its share back to legacy. This step sends reads as
${CANARY_USERS} different users, twice each, and checks both sides served and nobody switched.`,
      summary: `routes.yaml: ${BY_ID} canary ${CANARY_PERCENT}% to ${NEW}, sticky by the X-User-Id header`,
      edit: () => ({
        editor: (rules) => rules.setCanary(BY_ID, { upstream: NEW, percent: CANARY_PERCENT }),
        // The rules editor has no stickyBy operation yet: the same YAML editor sets it.
        text: (text) => setRuleKey(text, BY_ID, ['canary', 'stickyBy'], { header: 'x-user-id' }),
      }),
      async verify(context) {
        const lines: string[] = [];
        const failures: string[] = [];
        const [id] = await publishedCardIds(context.target, 1);
        const served = new Map<string, number>();
        let switched = 0;
        for (let user = 0; user < CANARY_USERS; user += 1) {
          const headers = { 'x-user-id': `walkthrough-user-${user}` };
          const first = await throughFacade(context.target, `/cards/${id}`, headers);
          const second = await throughFacade(context.target, `/cards/${id}`, headers);
          const side = first.upstream ?? '?';
          served.set(side, (served.get(side) ?? 0) + 1);
          if (second.upstream !== first.upstream) switched += 1;
          if (first.status !== 200 || second.status !== 200)
            failures.push(`user ${user}: ${first.status}/${second.status}`);
        }
        const toNew = served.get(NEW) ?? 0;
        const toOld = served.get(OLD) ?? 0;
        lines.push(
          `${CANARY_USERS} users: ${toNew} on ${NEW} (${((100 * toNew) / CANARY_USERS).toFixed(1)}%), ${toOld} on ${OLD}`,
        );
        lines.push(`users whose second read went to the other side: ${switched}`);
        if (toNew === 0 || toOld === 0) failures.push('both sides should have served some users');
        if (toNew > CANARY_USERS * 0.3)
          failures.push(`far more than ${CANARY_PERCENT}% went to ${NEW}`);
        if (switched > 0) failures.push(`${switched} users switched sides between two reads`);
        return result(lines, failures.slice(0, 10));
      },
    }),
    routesStep({
      id: 'read-cutover',
      title: 'Full read cutover: every cards read goes to cards-service',
      pattern: 'Strangler Fig (route flip)',
      explain: `The shadow found no differences, the contract suite passes and the canary served real
users: move all the reads. GET /cards/:id gets cards-service as its upstream (canary and shadow
removed: there is nothing left to split), and a new rule "${READS}" sends every other GET under
/cards (the list, comments) there as well. It sits before the "cards" rule, because the first
matching rule wins. Writes (POST, PATCH, PUT, DELETE) still match "cards" and stay on legacy:
the monolith still owns the data, and the sync keeps cards-service's copy current. Going back
is the same edit undone (strangler walkthrough --undo).`,
      summary: `routes.yaml: ${BY_ID} to ${NEW}; new rule ${READS} (GET /cards/**) to ${NEW}`,
      edit: () => ({
        editor: (rules) => {
          rules.clearCanary(BY_ID);
          rules.clearShadow(BY_ID);
          rules.setUpstream(BY_ID, NEW);
        },
        text: (text) =>
          insertRuleBefore(
            text,
            'cards',
            READS,
            [
              '  # Every other cards read (list, comments): cards-service. Writes fall through to "cards".',
              `  - name: ${READS}`,
              '    match: { methods: [GET], prefix: /cards }',
              `    upstream: ${NEW}`,
            ].join('\n'),
          ),
      }),
      async verify(context) {
        const lines: string[] = [];
        const failures: string[] = [];
        const [id] = await publishedCardIds(context.target, 1);
        await expectUpstream(
          context,
          [`/cards/${id}`, '/cards?pageSize=5', `/cards/${id}/comments`],
          NEW,
          lines,
          failures,
        );
        await explainExpect(context, 'POST', '/cards', OLD, lines, failures);
        await explainExpect(context, 'PATCH', `/cards/${id}`, OLD, lines, failures);
        return result(lines, failures);
      },
    }),
    {
      id: 'move-writes',
      title: 'Move the writes and reverse the sync',
      pattern: 'Change of Data Ownership',
      explain: `Moving the writes moves who owns the data. Once POST/PATCH/DELETE /cards go to
cards-service, the cards database is the truth, and the monolith's feed, search and admin
modules, which still read the cards tables in the legacy database, would stop seeing new cards.
So the sync has to run the other way: cards database -> legacy database. Running both
directions at once needs echo suppression (a change the reverse pipeline applied must not be
captured and sent back), done with PostgreSQL replication origins.`,
      available: false,
      missing:
        'a reverse pipeline (cards -> legacy) with replication-origin echo suppression is not in strangler-sync yet',
    },
    {
      id: 'rollback-drill',
      title: 'Rollback drill: flip back to the monolith and lose nothing',
      pattern: 'Strangler Fig (rollback)',
      explain: `A way back is only real when it has been tried. The drill writes cards through
cards-service, flips every cards rule back to legacy, and checks that the cards written on the
new side are in the legacy database (the reverse sync brought them) and served by legacy.`,
      available: false,
      missing: 'needs the reverse sync of the previous step',
    },
    {
      id: 'retire-legacy',
      title: "Retire the legacy module's cards routes",
      pattern: 'Strangler Fig (retire)',
      explain: `When every cards request goes to cards-service, writes included, the "cards" rules
collapse into one rule to cards-service and the monolith's cards controller can be removed.
The legacy tables stay as long as other legacy modules read them, fed by the reverse sync.`,
      available: false,
      missing: 'needs the writes moved (move-writes)',
    },
    {
      id: 'search-read-model',
      title: 'search as a read model fed by the sync',
      pattern: 'Change Data Capture (read model / CQRS)',
      explain: `The next slice is search. Instead of querying the monolith's tables, a search
service keeps its own read model: a sync pipeline feeds it from the cards database and the
feed data, shaped for searching. Reads move to it the same way cards reads did: shadow,
contracts, canary, cutover.`,
      available: false,
      missing: 'no search-service and no pipeline feeding it yet',
    },
  ];
}
