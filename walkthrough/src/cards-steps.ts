/**
 * The walkthrough of the bundled example: moving `cards` out of the monolith, step by step
 * (reads here; writes, rollback and retirement in ownership-steps.ts; then search as a read
 * model in search-step.ts). docs/walkthrough.md tells the same story in the same order.
 */
import path from 'node:path';

import {
  cardsSuiteVars,
  facadeRules,
  publishedCardIds,
  shadowCounts,
  shadowSummary,
  throughFacade,
} from './checks.js';
import { insertRuleBefore } from './routes-change.js';
import {
  checkPipeline,
  expectUpstream,
  explainExpect,
  pipelineFile,
  result,
  routesStep,
  runContractSuite,
  showPipeline,
} from './step-kit.js';
import { ownershipSteps } from './ownership-steps.js';
import { searchReadModelStep } from './search-step.js';
import type { WalkthroughStep } from './step.js';

const NEW = 'cards-service';
const OLD = 'legacy';
const BY_ID = 'cards-get-by-id';
const READS = 'cards-reads';
/** Requests sent through the facade by the shadow and canary checks. */
const SHADOW_READS = 40;
const CANARY_USERS = 200;
const CANARY_PERCENT = 10;

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
        const file = pipelineFile(context, 'cards');
        return {
          summary: `the cards pipeline (${path.relative(context.repoRoot, file)}), started by npm start`,
          show: await showPipeline(context, 'cards'),
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
        await checkPipeline(
          context,
          'cards',
          {
            sourceUrl: context.target.legacyDatabaseUrl,
            targetUrl: context.target.cardsDatabaseUrl,
          },
          lines,
          failures,
        );
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
suite's write cases run in the repository's tests against two databases the sync does not
join (strangler-contracts' e2e); with two live databases, writes go through the facade.`,
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
        return runContractSuite(context, {
          suite: 'contracts/cards',
          newBaseUrl: context.target.cardsServiceUrl,
          vars: await cardsSuiteVars(context.target),
          readOnly: true,
        });
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
        // As `strangler routes weight ... --sticky-by header:x-user-id`.
        editor: (rules) => {
          rules.setCanary(BY_ID, { upstream: NEW, percent: CANARY_PERCENT });
          rules.setCanaryStickyBy(BY_ID, { header: 'x-user-id' });
        },
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
    ...ownershipSteps(),
    searchReadModelStep(),
  ];
}
