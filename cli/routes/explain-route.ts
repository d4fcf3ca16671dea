/**
 * `strangler routes explain`: which rule and upstream a request would get, worked out offline with
 * the facade's own path normalisation, compiled table and matcher (the same code the data plane
 * runs), or asked of a running facade (`--admin`, its `GET /explain`).
 */
import { isIP } from 'node:net';

import { RequestFacts } from '../../strangler-facade/src/request/request-facts.js';
import { normaliseTarget } from '../../strangler-facade/src/request/normalise-path.js';
import { conditionHolds } from '../../strangler-facade/src/rules/compile-conditions.js';
import type {
  CompiledRule,
  CompiledRuleTable,
  RouteTarget,
} from '../../strangler-facade/src/rules/compile-rules.js';
import { matchRule } from '../../strangler-facade/src/rules/match-rule.js';
import {
  chooseUpstream,
  UPSTREAM_SELECTOR_HEADER,
  type UpstreamChoice,
} from '../../strangler-facade/src/routing/choose-upstream.js';
import { stickyKey } from '../../strangler-facade/src/routing/sticky-bucket.js';
import { adminClient } from '../admin-client.js';
import { CliError, EXIT_USAGE, type CliIo } from '../cli-io.js';
import { textTable } from '../text-table.js';
import {
  canaryText,
  conditionText,
  fallbackText,
  matchText,
  methodsText,
  shadowText,
} from './describe-route.js';
import { loadRoutesTable, routesFileRef } from './routes-file.js';

export interface ExplainOptions {
  readonly method: string;
  readonly path: string;
  readonly header: readonly string[];
  readonly cookie: readonly string[];
  readonly query: readonly string[];
  /** Client address: decides whether internal headers count (`settings.trustedClients`). */
  readonly client?: string;
  readonly file?: string;
  readonly admin?: string;
  readonly json?: boolean;
}

export interface RequestToExplain {
  readonly method: string;
  /** Path and query as sent, before normalisation. */
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly clientAddress: string;
}

export interface Explanation {
  readonly method: string;
  readonly target: string;
  /** Set when the facade answers 400 before any rule is consulted. */
  readonly refused: string | null;
  readonly path: string;
  readonly rule: string | null;
  readonly ruleIndex: number | null;
  /** How the chosen rule matches (methods, path or prefix, conditions). */
  readonly match?: string;
  /** Where the request goes: the primary, the canary (sticky split) or a forced upstream. */
  readonly upstream: string | null;
  readonly upstreamUrl: string | null;
  /** The rule's primary upstream. */
  readonly primary: string | null;
  /** A trusted client picked the upstream with `X-Strangler-Upstream`. */
  readonly forced: boolean;
  /** The canary split, as text (`cards-service 10% (by header x-user-id): key "42" → ...`). */
  readonly canary: string | null;
  /** The request's sticky bucket in [0, 10000), or null without a canary. */
  readonly bucket: number | null;
  readonly shadow: string | null;
  readonly fallback: string | null;
  /** Earlier rules whose method and path matched but whose conditions did not hold. */
  readonly skipped: readonly { rule: string; unmet: readonly string[] }[];
  readonly notes: readonly string[];
}

export async function explainRoute(options: ExplainOptions, io: CliIo): Promise<void> {
  const request = requestOf(options);
  if (options.admin !== undefined) {
    const params = new URLSearchParams({ method: request.method, path: request.target });
    for (const [name, value] of Object.entries(request.headers)) {
      params.append('header', `${name}:${value}`);
    }
    // As offline: without --client the request counts as coming from an untrusted client.
    if (request.clientAddress) params.append('client', request.clientAddress);
    else params.append('trusted', 'false');
    const client = adminClient(options.admin, io.env);
    const answer = await client.get<AdminExplanation>(`/explain?${params.toString()}`);
    if (options.json) return io.out(JSON.stringify(answer, null, 2) + '\n');
    io.out(renderAdminExplanation(request, answer, client.baseUrl));
    return;
  }
  const { table } = await loadRoutesTable(routesFileRef(options.file, io), io.env);
  const explanation = explain(table, request);
  if (options.json) return io.out(JSON.stringify(explanation, null, 2) + '\n');
  io.out(renderExplanation(explanation));
}

/** The request described by the command line options. */
export function requestOf(options: ExplainOptions): RequestToExplain {
  const headers: Record<string, string> = {};
  const add = (name: string, value: string): void => {
    const key = name.trim().toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  };
  for (const header of options.header) {
    const colon = header.indexOf(':');
    if (colon < 1) throw new CliError([`-H ${header}: expected name:value`], EXIT_USAGE);
    add(header.slice(0, colon), header.slice(colon + 1).trim());
  }
  const cookies = options.cookie.map((cookie) => {
    if (cookie.indexOf('=') < 1)
      throw new CliError([`--cookie ${cookie}: expected name=value`], EXIT_USAGE);
    return cookie;
  });
  if (cookies.length > 0) {
    headers.cookie = headers.cookie
      ? `${headers.cookie}; ${cookies.join('; ')}`
      : cookies.join('; ');
  }
  let target = options.path;
  for (const query of options.query) {
    const equals = query.indexOf('=');
    const [name, value] =
      equals < 0 ? [query, ''] : [query.slice(0, equals), query.slice(equals + 1)];
    const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
    target += (target.includes('?') ? '&' : '?') + pair;
  }
  const clientAddress = options.client ?? '';
  if (clientAddress !== '' && isIP(clientAddress) === 0) {
    throw new CliError([`--client ${clientAddress}: expected an IP address`], EXIT_USAGE);
  }
  return { method: options.method.toUpperCase(), target, headers, clientAddress };
}

/** What the facade's data plane would do with `request` under `table`. Pure. */
export function explain(table: CompiledRuleTable, request: RequestToExplain): Explanation {
  const base = {
    method: request.method,
    target: request.target,
    skipped: [],
    notes: [],
    rule: null,
    ruleIndex: null,
    upstream: null,
    upstreamUrl: null,
    primary: null,
    forced: false,
    canary: null,
    bucket: null,
    shadow: null,
    fallback: null,
  };
  const normalised = normaliseTarget(request.target);
  if (!normalised.ok) return { ...base, refused: normalised.reason, path: request.target };
  const { clientAddress } = request;
  const family = isIP(clientAddress) === 6 ? 'ipv6' : 'ipv4';
  const trusted =
    clientAddress !== '' &&
    (table.settings.trustedClientList?.check(clientAddress, family) ?? false);
  const notes: string[] = [];
  for (const name of Object.keys(request.headers)) {
    const internal = table.settings.internalHeaders.has(name) || name === UPSTREAM_SELECTOR_HEADER;
    if (internal && !trusted) {
      notes.push(
        `header ${name} ignored: internal header, and the client ` +
          (clientAddress
            ? `${clientAddress} is not in settings.trustedClients`
            : 'is not given (--client)'),
      );
    }
  }
  const facts = new RequestFacts(request.headers, normalised.search, trusted, clientAddress);
  const target: RouteTarget = matchRule(table, request.method, normalised.path, facts);
  const chosen = table.rules.find((rule) => rule === target) ?? null;
  const skipped: { rule: string; unmet: string[] }[] = [];
  for (const rule of table.rules) {
    if (rule === chosen) break;
    if (rule.methods !== null && !rule.methods.has(request.method)) continue;
    if (!rule.matcher.regexp.test(normalised.path)) continue;
    skipped.push({ rule: rule.name, unmet: unmetConditions(rule, facts) });
  }
  const choice: UpstreamChoice = {
    upstream: target.upstream,
    canary: false,
    bucket: -1,
    forced: false,
  };
  chooseUpstream(table, target, facts, choice);
  let canary: string | null = null;
  if (target.canary) {
    const key = stickyKey(target.canary, facts);
    const side = choice.canary ? 'canary' : 'primary';
    canary =
      `${canaryText(target.canary)}: ` +
      (choice.forced
        ? 'not consulted (upstream forced by header)'
        : `key ${JSON.stringify(key)} → bucket ${choice.bucket} of 10000, ` +
          `canary below ${target.canary.threshold} → ${side}`);
    if (key === '' && !choice.forced) {
      notes.push(
        'no sticky key in this request and no --client: the facade would use the client address',
      );
    }
  }
  return {
    ...base,
    refused: null,
    path: normalised.path + normalised.search,
    rule: target.name,
    ruleIndex: chosen ? chosen.index : null,
    upstream: choice.upstream.name,
    upstreamUrl: choice.upstream.origin,
    primary: target.upstream.name,
    forced: choice.forced,
    canary,
    bucket: choice.bucket >= 0 ? choice.bucket : null,
    shadow: target.shadow ? shadowText(target.shadow) : null,
    fallback: target.fallback ? fallbackText(target.fallback) : null,
    skipped,
    notes,
    ...(chosen && { match: `${methodsText(chosen)} ${matchText(chosen)}` }),
  };
}

function unmetConditions(rule: CompiledRule, facts: RequestFacts): string[] {
  const unmet: string[] = [];
  for (const condition of rule.headers ?? []) {
    if (!conditionHolds(condition, facts.header(condition.name, condition.internal))) {
      unmet.push(`header ${conditionText(condition)}`);
    }
  }
  for (const condition of rule.cookies ?? []) {
    if (!conditionHolds(condition, facts.cookie(condition.name)))
      unmet.push(`cookie ${conditionText(condition)}`);
  }
  for (const condition of rule.query ?? []) {
    if (!conditionHolds(condition, facts.query(condition.name)))
      unmet.push(`query ${conditionText(condition)}`);
  }
  return unmet;
}

export function renderExplanation(explanation: Explanation): string {
  const head = `${explanation.method} ${explanation.target}`;
  if (explanation.refused !== null) {
    return `${head}\n  refused   400 before any rule: ${explanation.refused}\n`;
  }
  const rows: string[][] = [];
  if (explanation.path !== explanation.target) rows.push(['path', explanation.path]);
  rows.push([
    'rule',
    explanation.ruleIndex === null
      ? `${explanation.rule ?? '?'} (default: no rule matched)`
      : `${explanation.rule ?? '?'} (rules[${explanation.ruleIndex}]: ${explanation.match ?? ''})`,
  ]);
  const why = explanation.forced
    ? ' (forced by X-Strangler-Upstream)'
    : explanation.upstream !== explanation.primary
      ? ` (canary; primary ${explanation.primary ?? '?'})`
      : '';
  rows.push(['upstream', `${explanation.upstream ?? '?'} ${explanation.upstreamUrl ?? ''}${why}`]);
  if (explanation.canary) rows.push(['canary', explanation.canary]);
  if (explanation.shadow) rows.push(['shadow', explanation.shadow]);
  if (explanation.fallback) rows.push(['fallback', explanation.fallback]);
  for (const skipped of explanation.skipped) {
    rows.push(['skipped', `${skipped.rule}: ${skipped.unmet.join(', ') || 'conditions not met'}`]);
  }
  for (const note of explanation.notes) rows.push(['note', note]);
  return `${head} → ${explanation.upstream ?? '?'}\n` + textTable(rows, '  ');
}

/** The facade's `GET /explain` answer. */
interface AdminExplanation {
  readonly error?: string;
  readonly message?: string;
  readonly path?: string;
  readonly rule?: string;
  readonly upstream?: string;
  readonly forced?: boolean;
  readonly canary?: {
    upstream?: string;
    percent?: number;
    stickyBy?: string;
    bucket?: number;
    chosen?: boolean;
  } | null;
  readonly shadow?: boolean;
  readonly shadowUpstream?: string | null;
  readonly fallback?: { upstream?: string; retryBudget?: number } | null;
  readonly circuit?: string;
}

function renderAdminExplanation(
  request: RequestToExplain,
  answer: AdminExplanation,
  baseUrl: string,
): string {
  const head = `${request.method} ${request.target}`;
  if (answer.error !== undefined) {
    return `${head} (asked ${baseUrl})\n  refused   ${answer.error}: ${answer.message ?? ''}\n`;
  }
  const rows: string[][] = [];
  if (answer.path !== undefined && answer.path !== request.target) rows.push(['path', answer.path]);
  rows.push(['rule', answer.rule ?? '?']);
  rows.push([
    'upstream',
    `${answer.upstream ?? '?'}${answer.forced ? ' (forced by an internal header)' : ''}`,
  ]);
  const canary = answer.canary;
  if (canary) {
    rows.push([
      'canary',
      `${canary.upstream ?? '?'} ${canary.percent ?? '?'}% by ${canary.stickyBy ?? '?'}: ` +
        `bucket ${canary.bucket ?? '?'} of 10000 → ${canary.chosen ? 'canary' : 'primary'}`,
    ]);
  }
  if (answer.shadowUpstream) {
    rows.push([
      'shadow',
      `${answer.shadowUpstream}${answer.shadow ? '' : ' (not for this request)'}`,
    ]);
  }
  if (answer.fallback) rows.push(['fallback', answer.fallback.upstream ?? '?']);
  if (answer.circuit !== undefined) rows.push(['circuit', answer.circuit]);
  return `${head} → ${answer.upstream ?? '?'} (asked ${baseUrl})\n` + textTable(rows, '  ');
}
