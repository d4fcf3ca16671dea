/**
 * The ONE schema of `routes.yaml` (format version 1) and the types inferred from it.
 *
 * Everything else derives from here: the loader validates with it, the compiler consumes its
 * types, and `routes.schema.json` (for editors and the admin `/schema` endpoint) is generated
 * from it by `routesJsonSchema()`.
 *
 * Room to grow without breaking files: every object is strict (a typo is an error, not a silent
 * no-op), and features arrive as new OPTIONAL keys (traffic shifting added `match.headers` /
 * `cookies` / `query`, per-rule `canary` with `rollout`, `fallback`, `shadow`, per-upstream
 * `circuitBreaker`, and `settings.trustedClients` / `internalHeaders` / `limits` / `secrets`), so version-1
 * files stay valid. A change that old files cannot satisfy bumps `version`.
 */
import { isIP } from 'node:net';

import { z } from 'zod';

import { comparisonOptionsSchema, jsonPathProblem } from '../../../strangler-compare/index.js';

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

export const circuitBreakerSchema = z
  .strictObject({
    failureRatio: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe("Open when at least this fraction of the window's requests failed"),
    minRequests: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('...and the window holds at least this many requests'),
    windowSeconds: z.number().gt(0).max(3600).default(10).describe('Sliding window length'),
    openSeconds: z
      .number()
      .gt(0)
      .max(3600)
      .default(5)
      .describe('How long an open circuit refuses before one probe request is let through'),
  })
  .describe(
    'Per-upstream circuit breaker (always on; these keys override the defaults). Failures: ' +
      "connect errors, resets, timeouts, 5xx answers (never the facade's own refusals).",
  );

export const connectionLimitsSchema = z
  .strictObject({
    max: z
      .number()
      .int()
      .min(1)
      .max(65_536)
      .default(128)
      .describe('Connections the facade opens to this upstream at most (kept alive, reused)'),
    queue: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(1024)
      .describe(
        'Requests that may wait for a free connection; one more is answered 503 with Retry-After',
      ),
  })
  .describe(
    'Connection cap per upstream (always on; these keys override the defaults): however many ' +
      'clients connect, at most `max` upstream connections, and a bounded queue in front of them.',
  );

export const upstreamSchema = z.strictObject({
  url: upstreamUrlSchema.describe(
    'Base URL of the upstream, an origin such as http://127.0.0.1:3001 (no path). ' +
      'Overridable per upstream by the env var STRANGLER_UPSTREAM_<NAME>_URL.',
  ),
  circuitBreaker: circuitBreakerSchema.prefault({}),
  connections: connectionLimitsSchema.prefault({}),
});

/** Header names as written in rules: an RFC 9110 token, compared case-insensitively. */
const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headerNameSchema = z
  .string()
  .regex(HEADER_NAME_PATTERN, 'must be an HTTP header name such as x-user-id');

const regexSource = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${String(error)}` });
  }
});

export const conditionSchema = z
  .union([
    z.strictObject({ equals: z.string().describe('The value is exactly this string') }),
    z.strictObject({
      present: z.boolean().describe('true: present (any value); false: absent'),
    }),
    z.strictObject({
      regex: regexSource.describe('JavaScript regular expression the value must match'),
    }),
  ])
  .describe('One of {equals: string} | {present: boolean} | {regex: string}');

const conditionMap = (what: string, keySchema: z.ZodString) =>
  z.record(keySchema, conditionSchema).optional().describe(`${what} conditions; all must hold`);

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
    headers: conditionMap('Request header', headerNameSchema),
    cookies: conditionMap('Cookie', z.string().min(1)),
    query: conditionMap('Query parameter', z.string().min(1)),
  })
  .superRefine((match, ctx) => {
    if ((match.path === undefined) === (match.prefix === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of "path" or "prefix"' });
    }
  });

const percentSchema = z.number().min(0).max(100);

export const stickyBySchema = z
  .union([
    z.strictObject({ header: headerNameSchema }),
    z.strictObject({ cookie: z.string().min(1) }),
    z.strictObject({ bearerUser: z.literal(true) }),
    z.strictObject({
      bearerToken: z.strictObject({
        regex: regexSource.describe(
          'Applied to the bearer token (after "Bearer "); its first capture group, else the ' +
            'whole match, is the key. E.g. "^([^.]+)\\." for "<user id>.<signature>" tokens',
        ),
      }),
    }),
    z.strictObject({ clientAddress: z.literal(true) }),
  ])
  .describe(
    'The key that keeps one user on one side: {header} | {cookie} | {bearerUser: true} (the ' +
      '"sub" of a bearer JWT) | {bearerToken: {regex}} (the user part of any other bearer ' +
      'token) | {clientAddress: true}. A canary without stickyBy uses settings.stickyBy; a ' +
      'request without the key, its client address.',
  );

export const rolloutSchema = z
  .strictObject({
    steps: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .refine(
        (steps) => steps.every((step, index) => index === 0 || step > (steps[index - 1] ?? 0)),
        'must be increasing',
      )
      .describe('Canary percentages to move through, e.g. [1, 5, 25, 50, 100]'),
    minRequests: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe('Canary requests a step must see before advancing'),
    minIntervalSeconds: z
      .number()
      .min(0)
      .default(60)
      .describe('Time a step must last before advancing'),
    abortOn: z
      .strictObject({
        errorRate: z.number().min(0).max(1).optional(),
        p99LatencyMs: z.number().gt(0).optional(),
        shadowMismatchRate: z.number().min(0).max(1).optional(),
      })
      .default({})
      .describe('Any threshold crossed in a step → canary percent 0, and the reason recorded'),
  })
  .describe('Staged rollout driven by the facade; it writes each new percent to this file');

export const canarySchema = z.strictObject({
  upstream: nameSchema.describe('Where the canary share goes'),
  percent: percentSchema.describe('Share of sticky keys sent to the canary, 0..100'),
  stickyBy: stickyBySchema.optional(),
  rollout: rolloutSchema.optional(),
});

export const FALLBACK_TRIGGERS = ['connect-error', 'timeout', '5xx'] as const;

export const fallbackSchema = z.strictObject({
  upstream: nameSchema.describe('Tried when the chosen upstream fails'),
  on: z
    .array(z.enum(FALLBACK_TRIGGERS))
    .min(1)
    .default([...FALLBACK_TRIGGERS])
    .describe(
      'connect-error: for any method (nothing was sent); timeout and 5xx: idempotent methods only',
    ),
  retryBudget: z
    .number()
    .min(0)
    .max(1)
    .default(0.2)
    .describe("At most this fraction of the rule's recent requests may be retried"),
});

export const shadowCompareSchema = comparisonOptionsSchema.describe(
  "strangler-compare's options (compileComparison)",
);

export const shadowSchema = z.strictObject({
  upstream: nameSchema.describe('The candidate that receives a copy of the request'),
  percent: percentSchema.default(100).describe('Share of matching requests shadowed'),
  sideEffectFree: z
    .boolean()
    .default(false)
    .describe('Only when true are non-idempotent methods (POST, PATCH...) shadowed'),
  maxBodyBytes: z
    .number()
    .int()
    .min(0)
    .default(65_536)
    .describe('Requests with larger bodies are not shadowed (counted)'),
  learnNoise: z
    .boolean()
    .default(false)
    .describe('Send safe requests to the primary twice; fields that differ there are noise'),
  compare: shadowCompareSchema.default({}),
});

const allowSemicolonsSchema = z
  .boolean()
  .default(false)
  .describe(
    'Accept ";" (or %3B) in the path, e.g. ;jsessionid=, for requests this rule matches; ' +
      'otherwise 400. Dot segments with parameters ("..;") are refused always.',
  );

export const ruleSchema = z.strictObject({
  name: nameSchema.describe('Unique rule name, sent back as X-Strangler-Route'),
  match: matchSchema,
  upstream: nameSchema.describe('Name of an entry under "upstreams" (the primary)'),
  canary: canarySchema.optional(),
  fallback: fallbackSchema.optional(),
  shadow: shadowSchema.optional(),
  allowSemicolons: allowSemicolonsSchema,
});

export const defaultRuleSchema = z.strictObject({
  name: nameSchema.default('default'),
  upstream: nameSchema.describe('Where requests that match no rule go (usually legacy)'),
  allowSemicolons: allowSemicolonsSchema,
});

const jsonPathSchema = z.string().superRefine((value, ctx) => {
  const problem = jsonPathProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const secretsSchema = z
  .strictObject({
    headers: z
      .array(headerNameSchema)
      .default([])
      .describe('Header names (requests and responses) whose values are secret'),
    query: z
      .array(z.string().min(1))
      .default([])
      .describe('Query parameters (and form-encoded body fields) whose values are secret'),
    jsonPaths: z
      .array(jsonPathSchema)
      .default([])
      .describe('JSON body paths (strangler-compare syntax, e.g. $.password or $..token)'),
  })
  .describe(
    'Values replaced by "[redacted]" in stored shadow comparisons, recorded cases and the ' +
      'access log. Authorization, Cookie, Set-Cookie and Proxy-Authorization always are.',
  );

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
  trustedClients: z
    .array(z.string().refine(isIpOrCidr, 'must be an IP address or CIDR such as 10.0.0.0/8 or ::1'))
    .default([])
    .describe('Clients allowed to send internal headers (cohort / upstream selectors)'),
  internalHeaders: z
    .array(headerNameSchema)
    .default(['x-strangler-cohort', 'x-strangler-upstream'])
    .describe(
      "Stripped from untrusted clients' requests before matching; x-strangler-upstream from a " +
        'trusted client picks the upstream',
    ),
  stickyBy: stickyBySchema
    .default({ bearerUser: true })
    .describe(
      'The sticky key of every canary that does not name its own (canary.stickyBy); set it ' +
        "once for the monolith's kind of user identity. Default {bearerUser: true}",
    ),
  secrets: secretsSchema.prefault({}),
  limits: z
    .strictObject({
      maxRequestBodyBytes: z.number().int().min(0).default(10_485_760),
      requestTimeoutMs: z.number().int().min(1).default(60_000),
      headersTimeoutMs: z.number().int().min(1).default(10_000),
      keepAliveTimeoutMs: z.number().int().min(1).default(5_000),
    })
    .prefault({})
    .describe('Request size and client time limits (413 / 408 / connection closed)'),
  upgrades: z
    .strictObject({
      idleTimeoutMs: z
        .number()
        .int()
        .min(1)
        .default(300_000)
        .describe('A tunnel that carried no byte either way for this long is closed'),
      rerouteGraceMs: z
        .number()
        .int()
        .min(0)
        .default(30_000)
        .describe(
          "After a reload routes an open tunnel's upgrade to another upstream, the tunnel is " +
            'closed this long later (its client reconnects to the new side)',
        ),
    })
    .prefault({})
    .describe('WebSocket (HTTP/1.1 Upgrade) tunnels: byte pipes after 101 Switching Protocols'),
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
    for (const key of ['canary', 'fallback', 'shadow']) {
      const part = rule[key];
      if (!isRecord(part) || typeof part.upstream !== 'string') continue;
      if (!known.includes(part.upstream)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, key, 'upstream'],
          message: unknown(part.upstream),
        });
      }
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
export type ConnectionLimits = z.output<typeof connectionLimitsSchema>;
export type RouteSettings = z.output<typeof settingsSchema>;
export type ConditionConfig = z.output<typeof conditionSchema>;
export type CanaryConfig = z.output<typeof canarySchema>;
export type StickyByConfig = z.output<typeof stickyBySchema>;
export type RolloutConfig = z.output<typeof rolloutSchema>;
export type FallbackConfig = z.output<typeof fallbackSchema>;
export type FallbackTrigger = (typeof FALLBACK_TRIGGERS)[number];
export type ShadowConfig = z.output<typeof shadowSchema>;
export type CircuitBreakerConfig = z.output<typeof circuitBreakerSchema>;

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
