/**
 * The second half of the cards migration: the writes move to cards-service and the sync runs the
 * other way too (change of data ownership), a rollback drill proves the way back loses nothing,
 * and the monolith's cards routes are retired.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import {
  exampleActors,
  facadeRules,
  sendJson,
  writeCardThroughFacade,
  type ExampleActors,
} from './checks.js';
import {
  applyRoutesEdit,
  previewRoutesEdit,
  removeRule,
  restoreRoutes,
  setRuleComment,
  waitForFacadeToServe,
  type RoutesEdit,
} from './routes-change.js';
import {
  checkPipeline,
  expectUpstream,
  explainExpect,
  result,
  routesStep,
  echoesSkipped,
  pipelineStatus,
  showPipeline,
  waitUntil,
} from './step-kit.js';
import type { StepContext, WalkthroughStep } from './step.js';

const NEW = 'cards-service';
const OLD = 'legacy';
/** The rules of the cards slice, as the earlier steps left them. */
const CARDS_RULES = ['cards-get-by-id', 'cards-reads', 'cards'] as const;
/** How long a change may take to cross a pipeline before a check fails. */
const SYNC_WAIT_MS = 20_000;

/** Both directions of the cards slice, one after the other (their lines stay apart). */
async function bothPipelines(
  context: StepContext,
  lines: string[],
  failures: string[],
): Promise<void> {
  const { legacyDatabaseUrl: legacy, cardsDatabaseUrl: cards } = context.target;
  await checkPipeline(context, 'cards', { sourceUrl: legacy, targetUrl: cards }, lines, failures);
  await checkPipeline(
    context,
    'cards-reverse',
    { sourceUrl: cards, targetUrl: legacy },
    lines,
    failures,
  );
}

/** A card written by the walkthrough, with a body that says so. */
function writeCard(context: StepContext, actors: ExampleActors, title: string, failures: string[]) {
  return writeCardThroughFacade(
    context.target,
    actors,
    { title, body: `Written by the walkthrough (${title}).` },
    failures,
  );
}

/** Waits until `baseUrl` serves GET /cards/:id with `title`; returns how long it took. */
async function servedWithin(
  baseUrl: string,
  id: string,
  title: string,
): Promise<number | undefined> {
  const started = Date.now();
  const served = await waitUntil(async () => {
    const answer = await sendJson(baseUrl, 'GET', `/cards/${id}`);
    return answer.status === 200 && (answer.json as { title?: unknown }).title === title
      ? true
      : undefined;
  }, SYNC_WAIT_MS);
  return served ? Date.now() - started : undefined;
}

/** How long `--undo` of move-writes waits for cards-reverse to drain before it flips anyway. */
const DRAIN_WAIT_MS = 30_000;

/**
 * Waits until cards-reverse's running process reports no lag (nothing received and not yet
 * committed in legacy); returns how long that took, or undefined after DRAIN_WAIT_MS.
 */
async function waitForReverseDrain(context: StepContext): Promise<number | undefined> {
  const started = Date.now();
  const drained = await waitUntil(async () => {
    const status = await pipelineStatus(context, 'cards-reverse', {
      sourceUrl: context.target.cardsDatabaseUrl,
      targetUrl: context.target.legacyDatabaseUrl,
    }).catch(() => undefined);
    return status?.phase === 'streaming' && status.lagSeconds === 0 ? true : undefined;
  }, DRAIN_WAIT_MS);
  return drained ? Date.now() - started : undefined;
}

/** Every cards rule back to legacy: the rollback's routes. */
const allCardsToLegacy: RoutesEdit = {
  editor: (rules) => {
    for (const name of CARDS_RULES)
      if (rules.ruleNames.includes(name)) rules.setUpstream(name, OLD);
  },
};

export function ownershipSteps(): WalkthroughStep[] {
  return [
    routesStep({
      id: 'move-writes',
      title: 'Move the writes and reverse the sync',
      pattern: 'Change of Data Ownership',
      explain: `Moving the writes moves who owns the data. Once POST/PATCH/DELETE /cards go to
cards-service, the cards database is the truth, and the monolith's feed, search and admin
modules, which still read the cards tables in the legacy database, would stop seeing new cards.
So the sync runs the other way too: the cards-reverse pipeline copies cards, tags, comments and
likes from the cards database back into the legacy tables (never users: the monolith still owns
them). npm start runs it from the beginning; it had nothing to do while cards-service took no
writes, and it copies nothing at start (those rows came from legacy).
Two pipelines in opposite directions would echo: a row cards-reverse writes into legacy would be
captured by the cards pipeline and written back, for ever. Each pipeline tags the transactions it
applies with a PostgreSQL replication origin (strangler_<pipeline>), and each skips what the
other applied (skipAppliedBy). This step routes the writes to cards-service, then writes a card
through the facade and checks it reaches the monolith's own API and home feed, that an edit
follows, and that a moderation in the legacy admin module still reaches cards-service.
One caution: the sync writes whole rows, so the admin hiding a card in the monolith at the
same moment as its author edits it in cards-service would leave each side with the other's
version (strangler sync verify finds it). Moving moderation with the writes closes that gap.`,
      summary: `routes.yaml: the "cards" rule (every write under /cards) to ${NEW}; the cards-reverse pipeline (migrations/pipelines/cards-reverse.pipeline.yaml) carries the writes back to legacy`,
      edit: () => ({
        editor: (rules) => rules.setUpstream('cards', NEW),
        text: (text) =>
          setRuleComment(
            text,
            'cards',
            'Everything else under /cards (create, update, delete, comments, likes): cards-service\n' +
              'owns the writes; the cards-reverse pipeline carries them back to legacy.',
          ),
      }),
      show: (context) => showPipeline(context, 'cards-reverse'),
      // The way back: cards-service's last writes reach legacy before legacy answers again.
      async beforeUndo(context) {
        const drained = await waitForReverseDrain(context);
        context.note(
          drained === undefined
            ? `cards-reverse did not report lag 0 within ${DRAIN_WAIT_MS / 1000} s: flipping anyway; ` +
                'writes cards-service took in the last moments reach legacy when it catches up ' +
                '(strangler sync status cards-reverse)'
            : `drained: cards-reverse reports lag 0 (after ${drained} ms); putting the writes back on legacy`,
        );
      },
      // The reverse sync must run before the first write lands on the new side.
      async precondition(context) {
        const failures: string[] = [];
        await checkPipeline(
          context,
          'cards-reverse',
          {
            sourceUrl: context.target.cardsDatabaseUrl,
            targetUrl: context.target.legacyDatabaseUrl,
          },
          [],
          failures,
        );
        return failures;
      },
      async verify(context) {
        const lines: string[] = [];
        const failures: string[] = [];
        const { facadeUrl, legacyUrl, legacyDatabaseUrl, cardsDatabaseUrl } = context.target;
        const actors = await exampleActors(context.target);
        const forward = { sourceUrl: legacyDatabaseUrl, targetUrl: cardsDatabaseUrl };
        const reverse = { sourceUrl: cardsDatabaseUrl, targetUrl: legacyDatabaseUrl };
        const echoesBefore = {
          cards: await echoesSkipped(context, 'cards', forward),
          reverse: await echoesSkipped(context, 'cards-reverse', reverse),
        };
        const title = `Owned by cards-service ${randomUUID().slice(0, 8)}`;
        const card = await writeCard(context, actors, title, failures);
        if (card) {
          lines.push(
            `POST /cards through the facade -> 201, X-Strangler-Upstream: ${card.upstream}`,
          );
          if (card.upstream !== NEW) failures.push(`the write went to ${card.upstream ?? '?'}`);
          const took = await servedWithin(legacyUrl, card.id, title);
          lines.push(
            took === undefined
              ? `legacy-monolith does not serve the new card`
              : `legacy-monolith serves the new card ${took} ms later (cards-reverse)`,
          );
          if (took === undefined)
            failures.push(`the card did not reach legacy within ${SYNC_WAIT_MS / 1000} s`);

          const feed = await sendJson(legacyUrl, 'GET', '/feed?pageSize=5', {
            token: actors.followerToken,
          });
          const inFeed = ((feed.json as { items?: { id: string }[] }).items ?? []).some(
            (item) => item.id === card.id,
          );
          lines.push(`legacy GET /feed as a follower of the author: new card listed: ${inFeed}`);
          if (!inFeed) failures.push("the card is not in the follower's legacy home feed");

          const edited = `${title} (edited)`;
          const patch = await sendJson(facadeUrl, 'PATCH', `/cards/${card.id}`, {
            token: actors.authorToken,
            body: { title: edited },
          });
          lines.push(`PATCH /cards/:id through the facade -> ${patch.status} (${patch.upstream})`);
          if (patch.status !== 200 || patch.upstream !== NEW)
            failures.push(`the edit answered ${patch.status} from ${patch.upstream ?? '?'}`);
          if ((await servedWithin(legacyUrl, card.id, edited)) === undefined)
            failures.push('the edit did not reach legacy');

          // The other direction at the same time: the monolith's admin module still moderates.
          const hide = await sendJson(legacyUrl, 'POST', `/admin/cards/${card.id}/hide`, {
            token: actors.adminToken,
            body: { reason: 'walkthrough: moderation stays in the monolith' },
          });
          const hidden = await waitUntil(async () => {
            const answer = await sendJson(facadeUrl, 'GET', `/cards/${card.id}`);
            return answer.status === 404 ? answer : undefined;
          }, SYNC_WAIT_MS);
          lines.push(
            `legacy POST /admin/cards/:id/hide -> ${hide.status}; GET /cards/:id through the facade -> ${hidden ? `404 from ${hidden.upstream}` : 'still served'} (cards pipeline)`,
          );
          if (hide.status >= 300 || hidden?.upstream !== NEW)
            failures.push('a moderation in legacy did not reach cards-service');

          // Each pipeline saw the other's writes come back through its slot, and dropped them.
          for (const [name, urls, before, what] of [
            [
              'cards',
              forward,
              echoesBefore.cards,
              'the card and its edit, written into legacy by cards-reverse',
            ],
            [
              'cards-reverse',
              reverse,
              echoesBefore.reverse,
              'the moderation, written into cards by cards',
            ],
          ] as const) {
            const after = await waitUntil(async () => {
              const count = await echoesSkipped(context, name, urls);
              return count !== null && count > (before ?? 0) ? count : undefined;
            }, SYNC_WAIT_MS);
            lines.push(
              after === undefined
                ? `the ${name} pipeline reports no skipped echo`
                : `the ${name} pipeline skipped ${after - (before ?? 0)} echo transactions (${what})`,
            );
            if (after === undefined || before === null)
              failures.push(`the ${name} pipeline did not report skipping the echo of ${what}`);
          }
        }
        // No echo: both pipelines agree with their sources and neither stopped on a conflict.
        await bothPipelines(context, lines, failures);
        return result(lines, failures);
      },
    }),
    rollbackDrill(),
    routesStep({
      id: 'retire-legacy',
      title: "Retire the legacy module's cards routes",
      pattern: 'Strangler Fig (retire the old branch)',
      explain: `Every cards request, reads and writes, goes to cards-service, and the rollback
drill showed the way back works. The three cards rules collapse into one: /cards and
everything below it to cards-service. The monolith's cards controller no longer gets traffic
and can be deleted from its code in its next release. The legacy cards tables stay, fed by
cards-reverse, for as long as other legacy modules (feed, admin, search) read them; each of
those is the next slice to strangle.`,
      summary: `routes.yaml: one rule "cards" (/cards/**) to ${NEW}; cards-get-by-id and cards-reads removed`,
      edit: () => ({
        editor: (rules) => rules.setUpstream('cards', NEW),
        text: (text) =>
          setRuleComment(
            removeRule(removeRule(text, 'cards-get-by-id'), 'cards-reads'),
            'cards',
            "The cards slice, reads and writes: cards-service. The monolith's cards routes are\n" +
              'retired; its cards tables are fed by the cards-reverse pipeline.',
          ),
      }),
      async verify(context) {
        const lines: string[] = [];
        const failures: string[] = [];
        const rules = await facadeRules(context.target);
        const cardsRules = rules.rules.filter(
          (rule) => rule.prefix === '/cards' || rule.path?.startsWith('/cards'),
        );
        for (const rule of cardsRules) {
          lines.push(`admin /rules: ${rule.name} -> ${rule.upstream}`);
          if (rule.upstream !== NEW || rule.canary || rule.shadow)
            failures.push(`rule ${rule.name} still sends cards traffic to ${OLD}`);
        }
        if (cardsRules.length !== 1) failures.push(`${cardsRules.length} cards rules, expected 1`);
        const id = randomUUID();
        for (const [method, requestPath] of [
          ['GET', `/cards/${id}`],
          ['POST', '/cards'],
          ['PATCH', `/cards/${id}`],
          ['DELETE', `/cards/${id}`],
          ['POST', `/cards/${id}/comments`],
          ['PUT', `/cards/${id}/like`],
        ] as const) {
          await explainExpect(context, method, requestPath, NEW, lines, failures);
        }
        await expectUpstream(context, ['/cards?pageSize=5'], NEW, lines, failures);
        await bothPipelines(context, lines, failures);
        return result(lines, failures);
      },
    }),
  ];
}

/**
 * The drill: a card written on the new side, every cards rule flipped back to legacy (the card
 * is there: nothing lost), a card written on the old side, flipped forward again (that card is
 * in cards-service: nothing lost either way). The routes end as they began.
 */
function rollbackDrill(): WalkthroughStep {
  const drill = { runId: randomUUID().slice(0, 8), ids: [] as string[] };
  const titles = (): [string, string] => [
    `Rollback drill ${drill.runId}: written to cards-service`,
    `Rollback drill ${drill.runId}: written to legacy during the rollback`,
  ];
  return {
    id: 'rollback-drill',
    title: 'Rollback drill: flip back to the monolith and lose nothing',
    pattern: 'Strangler Fig (rollback)',
    explain: `A way back is only real when it has been tried. The drill writes a card through
the facade (cards-service takes it), waits until cards-reverse has carried it to legacy (the
runbook's "drain" step: never flip while the reverse sync lags), then flips every cards rule
back to legacy, as an incident would. The card is there and legacy serves it. It writes a
second card during the rollback (legacy takes it; the cards pipeline carries it forward), flips
forward again, and cards-service serves both. The routes end as they began: run the drill
whenever the team wants to know the way back still works.`,
    available: true,
    async change(context) {
      const before = await readFile(context.target.routesFile, 'utf8');
      const after = previewRoutesEdit(
        before,
        path.basename(context.target.routesFile),
        allCardsToLegacy,
      );
      return {
        summary:
          'routes.yaml during the drill: every cards rule to legacy; afterwards the file is put back as it is now',
        routes: { before, after },
      };
    },
    async apply(context) {
      const { facadeUrl, legacyUrl, cardsServiceUrl, routesFile } = context.target;
      const actors = await exampleActors(context.target);
      const [onNew, onOld] = titles();
      const failures: string[] = [];
      const fail = (): never => {
        throw new Error(`rollback drill: ${failures.join('; ')}`);
      };
      drill.ids = [];
      const first = (await writeCard(context, actors, onNew, failures)) ?? fail();
      drill.ids.push(first.id);
      context.note(`wrote card ${first.id} through the facade (${first.upstream})`);
      const drained = await servedWithin(legacyUrl, first.id, onNew);
      if (drained === undefined) {
        failures.push('cards-reverse did not bring the card to legacy: not flipping');
        fail();
      }
      context.note(`drained: legacy has it after ${drained} ms; flipping every cards rule back`);
      const { before, after } = await applyRoutesEdit(routesFile, allCardsToLegacy);
      try {
        await waitForFacadeToServe(context.target, after);
        const read = await sendJson(facadeUrl, 'GET', `/cards/${first.id}`);
        context.note(`rolled back: GET /cards/:id -> ${read.status} from ${read.upstream}`);
        if (read.status !== 200 || read.upstream !== OLD)
          failures.push(`after the rollback the card answered ${read.status} (${read.upstream})`);
        const second = await writeCard(context, actors, onOld, failures);
        if (second) {
          drill.ids.push(second.id);
          context.note(`wrote card ${second.id} during the rollback (${second.upstream})`);
          if (second.upstream !== OLD) failures.push('the rollback write did not go to legacy');
          if ((await servedWithin(cardsServiceUrl, second.id, onOld)) === undefined)
            failures.push('the cards pipeline did not bring the rollback write to cards-service');
        }
      } finally {
        await restoreRoutes(routesFile, before);
        await waitForFacadeToServe(context.target, before);
        context.note('flipped forward again: routes.yaml is back as it was before the drill');
      }
      if (failures.length > 0) fail();
      return {};
    },
    async verify(context) {
      const lines: string[] = [];
      const failures: string[] = [];
      const expected = titles();
      if (drill.ids.length !== 2) failures.push('the drill did not write its two cards');
      for (const [index, id] of drill.ids.entries()) {
        for (const [side, baseUrl] of [
          ['the facade', context.target.facadeUrl],
          [OLD, context.target.legacyUrl],
          [NEW, context.target.cardsServiceUrl],
        ] as const) {
          const answer = await sendJson(baseUrl, 'GET', `/cards/${id}`);
          const title = (answer.json as { title?: unknown } | undefined)?.title;
          lines.push(
            `GET /cards/${id} on ${side} -> ${answer.status}${side === 'the facade' ? ` from ${answer.upstream}` : ''}`,
          );
          if (answer.status !== 200 || title !== expected[index])
            failures.push(`${side} does not serve drill card ${index + 1}`);
          if (side === 'the facade' && answer.upstream !== NEW)
            failures.push('after the drill the facade does not route cards to cards-service');
        }
      }
      await bothPipelines(context, lines, failures);
      return result(lines, failures);
    },
  };
}
