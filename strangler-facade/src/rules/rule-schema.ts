/**
 * The ONE schema of `routes.yaml` (format version 1) and the types inferred from it.
 *
 * Everything else derives from here: the loader validates with it, the compiler consumes its
 * types, and `routes.schema.json` (for editors and the admin `/schema` endpoint) is generated
 * from it by `routesJsonSchema()`.
 *
 * Room to grow without breaking files: every object is strict (a typo is an error, not a silent
 * no-op), and later features arrive as new OPTIONAL keys, e.g. per-rule `canary` weights,
 * `shadow` targets, `fallback`, and `match.headers` / `match.cookies` / `match.query`. A change
 * that old files cannot satisfy bumps `version`.
 */
import { isIP } from 'node:net';

import { z } from 'zod';

import { isValidPathPattern, isValidPrefix, PATH_PATTERN_HELP } from './path-pattern.js';

/** Upstream and rule names: lower-case words joined by dashes, e.g. `cards-service`. */
export const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** An HTTP method token (RFC 9110), upper-cased when compiled. */
const METHOD_PATTERN = /^[A-Za-z]+$/;

const nameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be lower-case words joined by dashes, e.g. "cards-service"')
  .max(64);

const upstreamUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = upstreamUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const upstreamSchema = z.strictObject({
  url: upstreamUrlSchema.describe(
    'Base URL of the upstream, an origin such as http://127.0.0.1:3001 (no path). ' +
      'Overridable per upstream by the env var STRANGLER_UPSTREAM_<NAME>_URL.',
  ),
});

export const matchSchema = z
  .strictObject({
    methods: z
      .array(z.string().regex(METHOD_PATTERN, 'must be an HTTP method such as GET'))
      .min(1)
      .optional()
      .describe('HTTP methods this rule accepts; absent = any. GET also accepts HEAD.'),
    path: z
      .string()
      .refine(isValidPathPattern, PATH_PATTERN_HELP)
      .optional()
      .describe('Exact path pattern; ":name" matches one segment, e.g. /cards/:id'),
    prefix: z
      .string()
      .refine(isValidPrefix, PATH_PATTERN_HELP)
      .optional()
      .describe('Path prefix ending at a segment boundary: /cards matches /cards/x, not /cardsx'),
  })
  .superRefine((match, ctx) => {
    if ((match.path === undefined) === (match.prefix === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of "path" or "prefix"' });
    }
  });

export const ruleSchema = z.strictObject({
  name: nameSchema.describe('Unique rule name, sent back as X-Strangler-Route'),
  match: matchSchema,
  upstream: nameSchema.describe('Name of an entry under "upstreams"'),
});

export const defaultRuleSchema = z.strictObject({
  name: nameSchema.default('default'),
  upstream: nameSchema.describe('Where requests that match no rule go (usually legacy)'),
});

export const settingsSchema = z.strictObject({
  routeHeaders: z
    .boolean()
    .default(true)
    .describe('Add X-Strangler-Route and X-Strangler-Upstream to every response'),
  trustedProxies: z
    .array(z.string().refine(isIpOrCidr, 'must be an IP address or CIDR such as 10.0.0.0/8 or ::1'))
    .default([])
    .describe(
      'Peers whose X-Forwarded-* / Forwarded headers are appended to instead of overwritten',
    ),
  caseSensitive: z
    .boolean()
    .default(false)
    .describe('Match literal path segments case-sensitively (Express routes ignore case)'),
});

export const routesFileSchema = z
  .strictObject({
    version: z.literal(1).describe('Format version of this file'),
    settings: settingsSchema.prefault({}),
    upstreams: z
      .record(nameSchema, upstreamSchema)
      .refine((upstreams) => Object.keys(upstreams).length > 0, 'declare at least one upstream'),
    rules: z.array(ruleSchema).default([]).describe('Ordered rules: the first match wins'),
    default: defaultRuleSchema,
  })
  // Cross-references run even when other parts of the file are malformed (`when`), so a
  // newcomer sees every mistake at once; the checks therefore look at raw, unvalidated values.
  .superRefine((file, ctx) => checkReferences(file, ctx), {
    when: (payload) => isRecord(payload.value),
  });

type IssueSink = {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
};

/** Unknown upstreams and duplicate rule names (what a per-field schema cannot see). */
function checkReferences(file: unknown, ctx: IssueSink): void {
  if (!isRecord(file) || !isRecord(file.upstreams)) return;
  const known = Object.keys(file.upstreams);
  const unknown = (name: string): string =>
    `unknown upstream "${name}" (known: ${known.join(', ')})`;
  const seen = new Map<string, number>();
  const rules = Array.isArray(file.rules) ? (file.rules as unknown[]) : [];
  rules.forEach((rule, index) => {
    if (!isRecord(rule)) return;
    if (typeof rule.upstream === 'string' && !known.includes(rule.upstream)) {
      ctx.addIssue({
        code: 'custom',
        path: ['rules', index, 'upstream'],
        message: unknown(rule.upstream),
      });
    }
    if (typeof rule.name !== 'string') return;
    const first = seen.get(rule.name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rules', index, 'name'],
        message: `duplicate rule name "${rule.name}" (first used by rules[${first}])`,
      });
    } else seen.set(rule.name, index);
  });
  const fallback = file.default;
  if (!isRecord(fallback)) return;
  if (typeof fallback.upstream === 'string' && !known.includes(fallback.upstream)) {
    ctx.addIssue({
      code: 'custom',
      path: ['default', 'upstream'],
      message: unknown(fallback.upstream),
    });
  }
  const defaultName = typeof fallback.name === 'string' ? fallback.name : 'default';
  const clash = seen.get(defaultName);
  if (clash !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['rules', clash, 'name'],
      message: `rule name "${defaultName}" is the default rule's name (rename one of them)`,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `routes.yaml` as written by a user (before defaults). */
export type RoutesFileInput = z.input<typeof routesFileSchema>;
/** `routes.yaml` after validation, defaults applied. */
export type RoutesFile = z.output<typeof routesFileSchema>;
export type RuleConfig = z.output<typeof ruleSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type RouteSettings = z.output<typeof settingsSchema>;

/** Why `value` is not usable as an upstream base URL, or null when it is. */
export function upstreamUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `invalid URL "${value}"`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `URL "${value}" must use http or https`;
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    return `URL "${value}" must be an origin like http://host:port (no path, query or credentials)`;
  }
  return null;
}

function isIpOrCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
