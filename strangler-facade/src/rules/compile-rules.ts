/**
 * Validated `RoutesFile` → immutable, precompiled rule table. Pure: no I/O; the environment is
 * passed in (for the `STRANGLER_UPSTREAM_<NAME>_URL` overrides). All the work a request would
 * otherwise repeat (RegExps, method sets, upstream URLs, trusted-proxy lists) happens here once.
 */
import { BlockList, isIP } from 'node:net';

import {
  compileComparison,
  ComparisonOptionsError,
  type CompiledComparison,
} from '../../../strangler-compare/index.js';
import { SecretRedactor } from '../redaction/secret-redactor.js';
import { compileConditions, type CompiledCondition } from './compile-conditions.js';
import { compilePathMatcher, type PathMatcher } from './path-pattern.js';
import {
  upstreamUrlProblem,
  type CanaryConfig,
  type CircuitBreakerConfig,
  type ConnectionLimits,
  type FallbackConfig,
  type RolloutConfig,
  type RoutesFile,
  type ShadowConfig,
  type StickyByConfig,
} from './rule-schema.js';

export interface CompiledUpstream {
  readonly name: string;
  /** Position in `CompiledRuleTable.upstreams`. */
  readonly index: number;
  /** Normalised origin, e.g. `http://127.0.0.1:3001`. */
  readonly origin: string;
  /** Where the URL came from: the file, or the named environment variable. */
  readonly source: 'file' | 'env';
  readonly envVar: string;
  /** The URL the file gives; overridden when `source` is `env`. */
  readonly fileUrl: string;
  readonly circuitBreaker: CircuitBreakerConfig;
  readonly connections: ConnectionLimits;
}

/** How the sticky key of a canary split is read from a request. */
export type StickyKind = 'header' | 'cookie' | 'bearerUser' | 'bearerToken' | 'clientAddress';

export interface CompiledCanary {
  readonly upstream: CompiledUpstream;
  readonly percent: number;
  /** Buckets [0, threshold) of [0, 10000) go to the canary: `percent * 100`. */
  readonly threshold: number;
  readonly stickyKind: StickyKind;
  /** Lower-case header name or cookie name (empty for the other kinds). */
  readonly stickyName: string;
  /** `bearerToken`: the user part of the token is its first capture group (else the match). */
  readonly stickyPattern: RegExp | null;
  /** The sticky key as configured (the rule's, else `settings.stickyBy`), for display. */
  readonly stickyBy: StickyByConfig;
  readonly rollout: RolloutConfig | null;
}

export interface CompiledFallback {
  readonly upstream: CompiledUpstream;
  readonly onConnectError: boolean;
  readonly onTimeout: boolean;
  readonly on5xx: boolean;
  readonly retryBudget: number;
}

export interface CompiledShadow {
  readonly upstream: CompiledUpstream;
  readonly percent: number;
  readonly sideEffectFree: boolean;
  readonly maxBodyBytes: number;
  readonly learnNoise: boolean;
  readonly comparison: CompiledComparison;
}

/** What a request is routed by: a rule from `rules`, or the default rule. */
export interface RouteTarget {
  readonly name: string;
  /** The primary. */
  readonly upstream: CompiledUpstream;
  readonly canary: CompiledCanary | null;
  readonly fallback: CompiledFallback | null;
  readonly shadow: CompiledShadow | null;
  /** For display and shadow summaries: `/cards/:id`, `/cards/*`, or `*` for the default rule. */
  readonly pathPattern: string;
  /** Whether `;` may appear in the path of a request routed here (else 400). */
  readonly allowSemicolons: boolean;
}

export interface CompiledRule extends RouteTarget {
  /** Position in `rules`, as written in the file. */
  readonly index: number;
  /** Upper-case methods accepted (GET implies HEAD), or null for any. */
  readonly methods: ReadonlySet<string> | null;
  readonly matcher: PathMatcher;
  /** Null when the rule has no such conditions (the common case: no work per request). */
  readonly headers: readonly CompiledCondition[] | null;
  readonly cookies: readonly CompiledCondition[] | null;
  readonly query: readonly CompiledCondition[] | null;
}

export interface CompiledSettings {
  readonly routeHeaders: boolean;
  readonly caseSensitive: boolean;
  /** As written, for display. */
  readonly trustedProxies: readonly string[];
  /** Null when no proxy is trusted (the default): every client value is overwritten. */
  readonly trustedProxyList: BlockList | null;
  readonly trustedClients: readonly string[];
  /** Null when no client is trusted: internal headers are always stripped. */
  readonly trustedClientList: BlockList | null;
  /** Lower-case names of the internal headers. */
  readonly internalHeaders: ReadonlySet<string>;
  /** What is redacted before a comparison is stored or a request logged. */
  readonly secrets: SecretRedactor;
  readonly limits: {
    readonly maxRequestBodyBytes: number;
    readonly requestTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
  };
  readonly upgrades: { readonly idleTimeoutMs: number; readonly rerouteGraceMs: number };
}

export interface CompiledRuleTable {
  readonly rules: readonly CompiledRule[];
  readonly defaultRule: RouteTarget;
  readonly upstreams: readonly CompiledUpstream[];
  readonly settings: CompiledSettings;
}

export type CompileRulesResult =
  | { readonly ok: true; readonly table: CompiledRuleTable }
  | { readonly ok: false; readonly errors: readonly string[] };

/** `cards-service` → `STRANGLER_UPSTREAM_CARDS_SERVICE_URL`. */
export function upstreamEnvVar(name: string): string {
  return `STRANGLER_UPSTREAM_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

export function compileRules(
  config: RoutesFile,
  env: Readonly<Record<string, string | undefined>> = {},
): CompileRulesResult {
  const errors: string[] = [];
  const upstreams: CompiledUpstream[] = [];
  const byName = new Map<string, CompiledUpstream>();
  const broken = new Set<string>();
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    const envVar = upstreamEnvVar(name);
    const override = env[envVar];
    const fromEnv = override !== undefined && override !== '';
    const url = fromEnv ? override : upstream.url;
    const problem = upstreamUrlProblem(url);
    if (problem) {
      errors.push(`${fromEnv ? envVar : `upstreams.${name}.url`}: ${problem}`);
      broken.add(name);
      continue;
    }
    const compiled: CompiledUpstream = Object.freeze({
      name,
      index: upstreams.length,
      origin: new URL(url).origin,
      source: fromEnv ? 'env' : 'file',
      envVar,
      fileUrl: upstream.url,
      circuitBreaker: Object.freeze({ ...upstream.circuitBreaker }),
      connections: Object.freeze({ ...upstream.connections }),
    });
    upstreams.push(compiled);
    byName.set(name, compiled);
  }
  const upstreamNamed = (name: string, field: string): CompiledUpstream | undefined => {
    const found = byName.get(name);
    if (!found && !broken.has(name)) {
      errors.push(`${field}: unknown upstream "${name}"`);
    }
    return found;
  };

  const caseSensitive = config.settings.caseSensitive;
  const internalHeaders = new Set(config.settings.internalHeaders.map((h) => h.toLowerCase()));
  const rules: CompiledRule[] = [];
  config.rules.forEach((rule, index) => {
    const upstream = upstreamNamed(rule.upstream, `rules[${index}].upstream`);
    const kind = rule.match.path !== undefined ? 'path' : 'prefix';
    const pattern = rule.match.path ?? rule.match.prefix ?? '';
    let matcher: PathMatcher;
    try {
      matcher = compilePathMatcher(kind, pattern, caseSensitive);
    } catch (error) {
      errors.push(`rules[${index}].match.${kind}: ${(error as Error).message}`);
      return;
    }
    const field = `rules[${index}]`;
    const canary = rule.canary
      ? compileCanary(
          rule.canary,
          upstreamNamed(rule.canary.upstream, `${field}.canary.upstream`),
          config.settings.stickyBy,
        )
      : null;
    const fallback = rule.fallback
      ? compileFallback(
          rule.fallback,
          upstreamNamed(rule.fallback.upstream, `${field}.fallback.upstream`),
        )
      : null;
    const shadow = rule.shadow
      ? compileShadow(
          rule.shadow,
          upstreamNamed(rule.shadow.upstream, `${field}.shadow.upstream`),
          `${field}.shadow.compare`,
          errors,
        )
      : null;
    if (!upstream || canary === undefined || fallback === undefined || shadow === undefined) {
      return;
    }
    rules.push(
      Object.freeze({
        name: rule.name,
        index,
        methods: compileMethods(rule.match.methods),
        matcher,
        upstream,
        headers: compileConditions(rule.match.headers, internalHeaders, true),
        cookies: compileConditions(rule.match.cookies, null, false),
        query: compileConditions(rule.match.query, null, false),
        canary,
        fallback,
        shadow,
        pathPattern: kind === 'path' ? pattern : pattern === '/' ? '/*' : `${pattern}/*`,
        allowSemicolons: rule.allowSemicolons,
      }),
    );
  });
  const defaultUpstream = upstreamNamed(config.default.upstream, 'default.upstream');
  if (errors.length > 0 || !defaultUpstream) return { ok: false, errors };

  const trusted = config.settings.trustedProxies;
  const trustedClients = config.settings.trustedClients;
  const table: CompiledRuleTable = {
    rules: Object.freeze(rules),
    defaultRule: Object.freeze({
      name: config.default.name,
      upstream: defaultUpstream,
      canary: null,
      fallback: null,
      shadow: null,
      pathPattern: '*',
      allowSemicolons: config.default.allowSemicolons,
    }),
    upstreams: Object.freeze(upstreams),
    settings: Object.freeze({
      routeHeaders: config.settings.routeHeaders,
      caseSensitive,
      trustedProxies: Object.freeze([...trusted]),
      trustedProxyList: trusted.length > 0 ? compileTrustedProxies(trusted) : null,
      trustedClients: Object.freeze([...trustedClients]),
      trustedClientList: trustedClients.length > 0 ? compileTrustedProxies(trustedClients) : null,
      internalHeaders,
      secrets: new SecretRedactor(config.settings.secrets),
      limits: Object.freeze({ ...config.settings.limits }),
      upgrades: Object.freeze({ ...config.settings.upgrades }),
    }),
  };
  return { ok: true, table: Object.freeze(table) };
}

/** Undefined when the canary's upstream is unknown (already reported). */
function compileCanary(
  canary: CanaryConfig,
  upstream: CompiledUpstream | undefined,
  defaultStickyBy: StickyByConfig,
): CompiledCanary | undefined {
  if (!upstream) return undefined;
  const stickyBy = canary.stickyBy ?? defaultStickyBy;
  let stickyKind: StickyKind = 'bearerUser';
  let stickyName = '';
  let stickyPattern: RegExp | null = null;
  if ('header' in stickyBy) {
    stickyKind = 'header';
    stickyName = stickyBy.header.toLowerCase();
  } else if ('cookie' in stickyBy) {
    stickyKind = 'cookie';
    stickyName = stickyBy.cookie;
  } else if ('bearerToken' in stickyBy) {
    stickyKind = 'bearerToken';
    stickyPattern = new RegExp(stickyBy.bearerToken.regex);
  } else if ('clientAddress' in stickyBy) stickyKind = 'clientAddress';
  return Object.freeze({
    upstream,
    percent: canary.percent,
    threshold: Math.round(canary.percent * 100),
    stickyKind,
    stickyName,
    stickyPattern,
    stickyBy,
    rollout: canary.rollout ? Object.freeze({ ...canary.rollout }) : null,
  });
}

function compileFallback(
  fallback: FallbackConfig,
  upstream: CompiledUpstream | undefined,
): CompiledFallback | undefined {
  if (!upstream) return undefined;
  return Object.freeze({
    upstream,
    onConnectError: fallback.on.includes('connect-error'),
    onTimeout: fallback.on.includes('timeout'),
    on5xx: fallback.on.includes('5xx'),
    retryBudget: fallback.retryBudget,
  });
}

function compileShadow(
  shadow: ShadowConfig,
  upstream: CompiledUpstream | undefined,
  field: string,
  errors: string[],
): CompiledShadow | undefined {
  let comparison: CompiledComparison;
  try {
    comparison = compileComparison(shadow.compare);
  } catch (error) {
    const problems =
      error instanceof ComparisonOptionsError ? error.message : (error as Error).message;
    errors.push(`${field}: ${problems}`);
    return undefined;
  }
  if (!upstream) return undefined;
  return Object.freeze({
    upstream,
    percent: shadow.percent,
    sideEffectFree: shadow.sideEffectFree,
    maxBodyBytes: shadow.maxBodyBytes,
    learnNoise: shadow.learnNoise,
    comparison,
  });
}

function compileMethods(methods: readonly string[] | undefined): ReadonlySet<string> | null {
  if (!methods) return null;
  const set = new Set(methods.map((method) => method.toUpperCase()));
  if (set.has('GET')) set.add('HEAD');
  return set;
}

function compileTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}
