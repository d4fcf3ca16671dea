/**
 * The next slice after cards: search, moved to a service that keeps its own read model, fed by
 * the sync from the cards database.
 */
import { randomUUID } from 'node:crypto';
import { verifyReadModel } from '../../extracted/search-service/src/read-model/verify-read-model.js';
import { exampleActors, searchSuiteVars, sendJson, writeCardThroughFacade } from './checks.js';
import { insertRuleBefore, type RoutesEdit } from './routes-change.js';
import {
  checkPipeline,
  expectUpstream,
  result,
  routesStep,
  runContractSuite,
  showPipeline,
  waitUntil,
} from './step-kit.js';
import type { StepContext, VerifyResult, WalkthroughStep } from './step.js';

const SEARCH = 'search-service';
const RULE = 'search';

const searchRule: RoutesEdit = {
  text: (text) =>
    insertRuleBefore(
      text,
      'cards',
      RULE,
      [
        '  # Full-text search: search-service answers from its own read model, fed by the search pipeline.',
        `  - name: ${RULE}`,
        '    match: { methods: [GET], prefix: /search }',
        `    upstream: ${SEARCH}`,
      ].join('\n'),
    ),
};

export function searchReadModelStep(): WalkthroughStep {
  /** The suite's result from before the flip, shown again by the verification. */
  let contractsBeforeFlip: VerifyResult | undefined;
  return routesStep({
    id: 'search-read-model',
    title: 'search as a read model fed by the sync',
    pattern: 'Change Data Capture (read model, CQRS)',
    explain: `The next slice is search. The monolith answers GET /search by querying its own cards
tables. search-service answers it from a read model instead: one table of search documents,
shaped for the query (the card as the API shows it, with author, tags and counts, and a
full-text vector with a GIN index), in its own database. Nobody writes to it through an API:
the search pipeline (change data capture again) copies the columns search needs from the cards
database, and triggers there rebuild a card's document whenever one of its rows changes. The
read model is eventually consistent, a moment behind the cards database, which is what a
search box can live with. Before the route moves, the contract suite contracts/search runs
against both sides; then a rule sends /search to search-service, and a card written through
the facade becomes searchable there: cards-service -> cards database -> search pipeline ->
read model.`,
    summary: `routes.yaml: new rule "${RULE}" (GET /search/**) to ${SEARCH}; the search pipeline (migrations/pipelines/search.pipeline.yaml) feeds its read model`,
    edit: () => searchRule,
    show: (context) => showPipeline(context, 'search'),
    // Reads move only when the new side answers like the old one.
    async precondition(context) {
      contractsBeforeFlip = await searchContracts(context);
      return contractsBeforeFlip.ok
        ? []
        : ['the search contract suite fails:', ...contractsBeforeFlip.lines];
    },
    async verify(context) {
      const lines: string[] = [];
      const failures: string[] = [];
      await checkPipeline(
        context,
        'search',
        {
          sourceUrl: context.target.cardsDatabaseUrl,
          targetUrl: context.target.searchDatabaseUrl,
        },
        lines,
        failures,
      );
      // The read model itself: every document is what its rows say (the pipeline's verify only
      // compares the raw rows). Checked after the pipeline caught up; a change in flight could
      // differ for a moment, so look again before failing.
      let model = await verifyReadModel(context.target.searchDatabaseUrl);
      for (let attempt = 0; !model.identical && attempt < 20; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        model = await verifyReadModel(context.target.searchDatabaseUrl);
      }
      lines.push(
        `read model: ${model.documents} search documents, ${model.missing.length} missing, ${model.stale.length} stale, ${model.extra.length} extra`,
      );
      if (!model.identical)
        failures.push(
          `the read model differs from its rows (missing ${model.missing.join(', ')}; stale ${model.stale.join(', ')}; extra ${model.extra.join(', ')})`,
        );
      // Run before the flip (this run's precondition), or now when the step is verified again.
      const contracts = contractsBeforeFlip ?? (await searchContracts(context));
      contractsBeforeFlip = undefined;
      lines.push(...contracts.lines);
      if (!contracts.ok) failures.push('the search contract suite fails');
      await expectUpstream(context, ['/search?q=protocol'], SEARCH, lines, failures);
      await searchableThroughFacade(context, lines, failures);
      return result(lines, failures);
    },
  });
}

async function searchContracts(context: StepContext): Promise<VerifyResult> {
  return runContractSuite(context, {
    suite: 'contracts/search',
    newBaseUrl: context.target.searchServiceUrl,
    vars: await searchSuiteVars(context.target),
    readOnly: true,
  });
}

/** A new card, written through the facade, is found by search-service once the sync brought it. */
async function searchableThroughFacade(
  context: StepContext,
  lines: string[],
  failures: string[],
): Promise<void> {
  const actors = await exampleActors(context.target);
  const word = `walkthrough${randomUUID().slice(0, 8)}`;
  const card = await writeCardThroughFacade(
    context.target,
    actors,
    { title: `Searchable ${word}`, body: 'Found through the read model.' },
    failures,
  );
  if (!card) return;
  const id = card.id;
  const started = Date.now();
  const found = await waitUntil(async () => {
    const answer = await sendJson(context.target.facadeUrl, 'GET', `/search?q=${word}`);
    const items = (answer.json as { items?: { card: { id: string } }[] } | undefined)?.items;
    return items?.some((item) => item.card.id === id) ? answer : undefined;
  });
  lines.push(
    found
      ? `a card written through the facade (${card.upstream}) is found by GET /search?q=${word} from ${found.upstream} ${Date.now() - started} ms later`
      : `GET /search?q=${word} does not find the new card`,
  );
  if (!found) failures.push('the new card did not reach the read model');
}
