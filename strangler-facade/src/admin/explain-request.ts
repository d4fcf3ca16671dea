/**
 * What the data plane would do with a described request, without sending it: the rule (and the
 * earlier rules whose conditions did not hold), the upstream after the canary split with its
 * sticky key and bucket, whether it would be shadowed (method-wise; the shadow percentage is
 * sampled per request), the fallback, and, on a running facade, the circuit state.
 *
 * ONE code path for both explains: the admin plane's `GET /explain` and `strangler routes
 * explain` (offline on a table compiled from the file, or sending the same query to `--admin`)
 * both call `explainRequest` with the same query, so they can only differ where the rules differ.
 *
 *   /explain?method=GET&path=/cards/1?preview=1&header=x-user-id:42&cookie=beta=1&client=10.0.0.7
 *
 * Trust is decided as the data plane decides it: the client (`client=`) counts as trusted when
 * `settings.trustedClients` lists it; `trusted=true|false` overrides that.
 */
import { isIP } from 'node:net';

import { RequestFacts } from '../request/request-facts.js';
import { normaliseTarget, semicolonRefusal } from '../request/normalise-path.js';
import type { CircuitBreakers } from '../resilience/circuit-breaker.js';
import { conditionHolds } from '../rules/compile-conditions.js';
import type { CompiledRule, CompiledRuleTable } from '../rules/compile-rules.js';
import { matchRule } from '../rules/match-rule.js';
import { conditionText, matchText, methodsText } from '../rules/rule-text.js';
import {
  chooseUpstream,
  UPSTREAM_SELECTOR_HEADER,
  type UpstreamChoice,
} from '../routing/choose-upstream.js';
import { requestStickyKey, stickyKey, stickyText } from '../routing/sticky-bucket.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request to explain: as a client would send it. */
export interface RequestToExplain {
  readonly method: string;
  /** Path and query as sent, before normalisation. */
  readonly target: string;
  /** Lower-case names; a repeated header joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The client's address, or '' when not described. */
  readonly clientAddress: string;
  /** Overrides what `settings.trustedClients` says about the client. */
  readonly trusted?: boolean;
}

export interface RouteExplanation {
  readonly method: string;
  readonly target: string;
  /** Set when the facade answers 400 before any rule is consulted. */
  readonly refused: string | null;
  /** The normalised path and query. */
  readonly path: string;
  readonly client: { readonly address: string; readonly trusted: boolean };
  readonly rule: string | null;
  /** Position in `rules`, or null for the default rule. */
  readonly ruleIndex: number | null;
  /** How the chosen rule matches (`GET path /cards/:id`), or null for the default rule. */
  readonly match: string | null;
  /** Where the request goes: the primary, the canary (sticky split) or a forced upstream. */
  readonly upstream: string | null;
  readonly upstreamUrl: string | null;
  /** The rule's primary upstream. */
  readonly primary: string | null;
  /** A trusted client picked the upstream with `X-Strangler-Upstream`. */
  readonly forced: boolean;
  readonly canary: CanaryExplanation | null;
  readonly shadow: {
    readonly upstream: string;
    readonly percent: number;
    /** False when the method is not shadowed or the request already goes to the shadow. */
    readonly applies: boolean;
  } | null;
  readonly fallback: {
    readonly upstream: string;
    readonly on: readonly string[];
    readonly retryBudget: number;
  } | null;
  /** The circuit of the chosen upstream; null when explained offline (no running facade). */
  readonly circuit: string | null;
  /** Earlier rules whose method and path matched but whose conditions did not hold. */
  readonly skipped: readonly { readonly rule: string; readonly unmet: readonly string[] }[];
  readonly notes: readonly string[];
}

export interface CanaryExplanation {
  readonly upstream: string;
  readonly percent: number;
  /** The sticky key's source, as text: `header x-user-id`, `bearerToken /^(.+)\./`. */
  readonly stickyBy: string;
  /** The key read from this request; the client address when the request lacks it. */
  readonly key: string;
  /** Whether the key came from the request or is the client address (fallback). */
  readonly keyFrom: 'request' | 'client address';
  /** In [0, 10000); null when a forced upstream skipped the split. */
  readonly bucket: number | null;
  /** Buckets below this go to the canary. */
  readonly threshold: number;
  readonly chosen: boolean;
}

/** `GET /explain` (a URL) and `strangler routes explain` (its query): the described request. */
export function explainRequest(
  table: CompiledRuleTable,
  query: URL | URLSearchParams,
  breakers: CircuitBreakers | null,
): RouteExplanation {
  const params = query instanceof URL ? query.searchParams : query;
  return explainRoute(table, requestOfQuery(params), breakers);
}

/** What the data plane would do with `request` under `table`. No I/O. */
export function explainRoute(
  table: CompiledRuleTable,
  request: RequestToExplain,
  breakers: CircuitBreakers | null,
): RouteExplanation {
  const { clientAddress } = request;
  const family = isIP(clientAddress) === 6 ? 'ipv6' : 'ipv4';
  const trusted =
    request.trusted ??
    (clientAddress !== '' &&
      (table.settings.trustedClientList?.check(clientAddress, family) ?? false));
  const method = request.method.toUpperCase();
  const base = {
    method,
    target: request.target,
    client: { address: clientAddress, trusted },
    rule: null,
    ruleIndex: null,
    match: null,
    upstream: null,
    upstreamUrl: null,
    primary: null,
    forced: false,
    canary: null,
    shadow: null,
    fallback: null,
    circuit: null,
    skipped: [],
    notes: [],
  };
  const normalised = normaliseTarget(request.target);
  if (!normalised.ok) return { ...base, refused: normalised.reason, path: request.target };

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
  const route = matchRule(table, method, normalised.path, facts);
  const chosen = table.rules.find((rule) => rule === route) ?? null;
  const skipped: { rule: string; unmet: string[] }[] = [];
  for (const rule of table.rules) {
    if (rule === chosen) break;
    if (rule.methods !== null && !rule.methods.has(method)) continue;
    if (!rule.matcher.regexp.test(normalised.path)) continue;
    skipped.push({ rule: rule.name, unmet: unmetConditions(rule, facts) });
  }
  if (normalised.semicolon && !route.allowSemicolons) {
    return {
      ...base,
      rule: route.name,
      refused: semicolonRefusal(route.name),
      path: request.target,
    };
  }
  const choice: UpstreamChoice = {
    upstream: route.upstream,
    canary: false,
    bucket: -1,
    forced: false,
  };
  chooseUpstream(table, route, facts, choice);

  let canary: CanaryExplanation | null = null;
  if (route.canary !== null) {
    const keyFrom =
      requestStickyKey(route.canary, facts) === undefined ? 'client address' : 'request';
    const key = stickyKey(route.canary, facts);
    canary = {
      upstream: route.canary.upstream.name,
      percent: route.canary.percent,
      stickyBy: stickyText(route.canary.stickyBy),
      key,
      keyFrom,
      bucket: choice.bucket >= 0 ? choice.bucket : null,
      threshold: route.canary.threshold,
      chosen: choice.canary,
    };
    if (!choice.forced && keyFrom === 'client address') {
      notes.push(
        `no sticky key (${canary.stickyBy}) in this request: split by the client address` +
          (clientAddress === '' ? ', not given here (--client)' : ''),
      );
    }
  }
  const shadow = route.shadow;
  const fallback = route.fallback;
  return {
    ...base,
    refused: null,
    path: normalised.path + normalised.search,
    rule: route.name,
    ruleIndex: chosen ? chosen.index : null,
    match: chosen ? `${methodsText(chosen)} ${matchText(chosen)}` : null,
    upstream: choice.upstream.name,
    upstreamUrl: choice.upstream.origin,
    primary: route.upstream.name,
    forced: choice.forced,
    canary,
    shadow:
      shadow === null
        ? null
        : {
            upstream: shadow.upstream.name,
            percent: shadow.percent,
            applies:
              shadow.upstream !== choice.upstream && (SAFE.has(method) || shadow.sideEffectFree),
          },
    fallback:
      fallback === null
        ? null
        : {
            upstream: fallback.upstream.name,
            on: [
              ...(fallback.onConnectError ? ['connect-error'] : []),
              ...(fallback.onTimeout ? ['timeout'] : []),
              ...(fallback.on5xx ? ['5xx'] : []),
            ],
            retryBudget: fallback.retryBudget,
          },
    circuit:
      breakers === null
        ? null
        : breakers.for(choice.upstream).isOpen(Date.now())
          ? 'open'
          : (breakers.states()[choice.upstream.name] ?? 'closed'),
    skipped,
    notes,
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

/**
 * The `/explain` query → the request: `method`, `path` (query allowed), `header=name:value`,
 * `cookie=name=value` (also `name:value`), `query=name=value`, `client=ip`, `trusted=true|false`.
 */
export function requestOfQuery(params: URLSearchParams): RequestToExplain {
  const headers: Record<string, string> = {};
  const addHeader = (name: string, value: string): void => {
    const key = name.trim().toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  };
  for (const entry of params.getAll('header')) {
    const colon = entry.indexOf(':');
    if (colon > 0) addHeader(entry.slice(0, colon), entry.slice(colon + 1).trim());
  }
  const cookies = params.getAll('cookie').map((entry) => {
    const equals = entry.indexOf('=');
    const colon = entry.indexOf(':');
    return equals < 0 && colon > 0 ? `${entry.slice(0, colon)}=${entry.slice(colon + 1)}` : entry;
  });
  if (cookies.length > 0) {
    headers.cookie = [headers.cookie, ...cookies].filter((part) => part).join('; ');
  }
  let target = params.get('path') ?? '/';
  for (const entry of params.getAll('query')) {
    const equals = entry.indexOf('=');
    const [name, value] =
      equals < 0 ? [entry, ''] : [entry.slice(0, equals), entry.slice(equals + 1)];
    target += `${target.includes('?') ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  }
  const trusted = params.get('trusted');
  return {
    method: (params.get('method') ?? 'GET').toUpperCase(),
    target,
    headers,
    clientAddress: params.get('client') ?? '',
    ...(trusted === 'true' || trusted === 'false' ? { trusted: trusted === 'true' } : {}),
  };
}
