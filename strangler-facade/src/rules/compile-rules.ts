/**
 * Validated `RoutesFile` → immutable, precompiled rule table. Pure: no I/O; the environment is
 * passed in (for the `STRANGLER_UPSTREAM_<NAME>_URL` overrides). All the work a request would
 * otherwise repeat (RegExps, method sets, upstream URLs, trusted-proxy lists) happens here once.
 */
import { BlockList, isIP } from 'node:net';

import { compilePathMatcher, type PathMatcher } from './path-pattern.js';
import { upstreamUrlProblem, type RoutesFile } from './rule-schema.js';

export interface CompiledUpstream {
  readonly name: string;
  /** Position in `CompiledRuleTable.upstreams`. */
  readonly index: number;
  /** Normalised origin, e.g. `http://127.0.0.1:3001`. */
  readonly origin: string;
  /** Where the URL came from: the file, or the named environment variable. */
  readonly source: 'file' | 'env';
  readonly envVar: string;
}

/** What a request is routed by: a rule from `rules`, or the default rule. */
export interface RouteTarget {
  readonly name: string;
  readonly upstream: CompiledUpstream;
}

export interface CompiledRule extends RouteTarget {
  /** Position in `rules`, as written in the file. */
  readonly index: number;
  /** Upper-case methods accepted (GET implies HEAD), or null for any. */
  readonly methods: ReadonlySet<string> | null;
  readonly matcher: PathMatcher;
}

export interface CompiledSettings {
  readonly routeHeaders: boolean;
  readonly caseSensitive: boolean;
  /** As written, for display. */
  readonly trustedProxies: readonly string[];
  /** Null when no proxy is trusted (the default): every client value is overwritten. */
  readonly trustedProxyList: BlockList | null;
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
    if (!upstream) return;
    rules.push(
      Object.freeze({
        name: rule.name,
        index,
        methods: compileMethods(rule.match.methods),
        matcher,
        upstream,
      }),
    );
  });
  const defaultUpstream = upstreamNamed(config.default.upstream, 'default.upstream');
  if (errors.length > 0 || !defaultUpstream) return { ok: false, errors };

  const trusted = config.settings.trustedProxies;
  const table: CompiledRuleTable = {
    rules: Object.freeze(rules),
    defaultRule: Object.freeze({ name: config.default.name, upstream: defaultUpstream }),
    upstreams: Object.freeze(upstreams),
    settings: Object.freeze({
      routeHeaders: config.settings.routeHeaders,
      caseSensitive,
      trustedProxies: Object.freeze([...trusted]),
      trustedProxyList: trusted.length > 0 ? compileTrustedProxies(trusted) : null,
    }),
  };
  return { ok: true, table: Object.freeze(table) };
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
