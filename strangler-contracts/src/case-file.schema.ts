/**
 * The one schema of a contract case file (YAML): one file per endpoint, its cases, their
 * requests, captures, expectations and comparison options. `load-case-files.ts` parses the YAML
 * and maps every problem found here to `file:line:column`.
 *
 * ```yaml
 * endpoint: PATCH /cards/:id
 * defaults:
 *   headers: { authorization: 'Bearer ${memberToken}' }
 *   compare: { keyOrder: true, ignore: [$.id, $.createdAt, $.updatedAt] }
 * cases:
 *   - name: the author changes the title
 *     setup:
 *       - request: { method: POST, path: /cards, json: { title: T, body: B } }
 *         capture: { cardId: $.id }
 *     request: { method: PATCH, path: '/cards/${cardId}', json: { title: Changed } }
 *     expect: { status: 200 }
 *     readBack: { request: { method: GET, path: '/cards/${cardId}' }, expect: { status: 200 } }
 *     teardown:
 *       - request: { method: DELETE, path: '/cards/${cardId}' }
 * ```
 */
import { z } from 'zod';
import {
  compileComparison,
  ComparisonOptionsError,
  comparisonOptionsSchema,
} from '../../strangler-compare/index.js';
import { captureSourceProblem } from './capture.js';
import { VARIABLE_NAME } from './variables.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const method = z.preprocess(
  (value) => (typeof value === 'string' ? value.toUpperCase() : value),
  z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }),
);

/** Header values; `null` removes a header set by the file's `defaults.headers`. */
const headers = z.record(
  z.string().regex(HEADER_NAME, { error: 'is not a valid header name' }),
  z.union([scalar, z.null()], { error: 'must be a string, a number, a boolean or null' }),
);

const query = z.record(
  z.string().min(1),
  z.union([scalar, z.array(scalar)], { error: 'must be a scalar or a list of scalars' }),
);

const timeoutMs = z.number().int().min(1).max(600_000);

export const requestSchema = z
  .strictObject({
    method,
    path: z
      .string({ error: 'must be a string' })
      .startsWith('/', { error: 'must start with "/" (it is appended to the base URL)' }),
    headers: headers.optional(),
    query: query.optional(),
    /** A JSON body (any JSON value); sent with `content-type: application/json`. */
    json: z.json().optional(),
    /** A raw text body, sent as is (set `content-type` in `headers`). */
    body: z.string().optional(),
    timeoutMs: timeoutMs.optional(),
  })
  .refine((request) => request.json === undefined || request.body === undefined, {
    error: 'give either json or body, not both',
  });

const status = z.number().int().min(100).max(599);
const expectSchema = z.strictObject({
  /** The status both sides must answer (one code or a list of allowed codes). */
  status: z.union([status, z.array(status).min(1)]).optional(),
});

/** Options passed straight to strangler-compare's `compileComparison`. */
export const compareSchema = comparisonOptionsSchema.superRefine(
  (options, ctx) => {
    try {
      compileComparison(options);
    } catch (error) {
      if (!(error instanceof ComparisonOptionsError)) throw error;
      for (const problem of error.problems) ctx.addIssue({ code: 'custom', message: problem });
    }
  },
  // Only options that passed their own checks: a bad path is reported once, at the path.
  { when: (payload) => payload.issues.length === 0 },
);

/** `{ name: source }`: `$.json.path` (one value), `status`, or `headers.<name>`. */
const captureSchema = z.record(
  z.string().regex(VARIABLE_NAME, { error: 'is not a variable name (letters, digits, _)' }),
  z.string().superRefine((source, ctx) => {
    const problem = captureSourceProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

/** A request run on both sides before or after the case, not compared. */
const stepSchema = z.strictObject({
  request: requestSchema,
  capture: captureSchema.optional(),
  /** Default for setup: any 2xx. Teardown only warns when its expectation fails. */
  expect: expectSchema.optional(),
});

/** A request run on both sides after the case to check what it wrote; compared. */
const readBackSchema = z.strictObject({
  request: requestSchema,
  expect: expectSchema.optional(),
  compare: compareSchema.optional(),
});

export const caseSchema = z.strictObject({
  name: z.string({ error: 'is required (a short sentence)' }).min(1),
  description: z.string().optional(),
  skip: z.union([z.boolean(), z.string()]).optional(),
  /** Run alone, after every other case (for cases that read what others may be writing). */
  serial: z.boolean().optional(),
  setup: z.array(stepSchema).optional(),
  request: requestSchema,
  capture: captureSchema.optional(),
  expect: expectSchema.optional(),
  compare: compareSchema.optional(),
  readBack: z.union([readBackSchema, z.array(readBackSchema).min(1)]).optional(),
  teardown: z.array(stepSchema).optional(),
});

const ENDPOINT = new RegExp(`^(${HTTP_METHODS.join('|')}) /\\S*$`);

export const caseFileSchema = z.strictObject({
  /** `METHOD /path/:param`: the endpoint the cases exercise (the summary's row). */
  endpoint: z
    .string({ error: 'is required, e.g. "GET /cards/:id"' })
    .regex(ENDPOINT, { error: 'must look like "GET /cards/:id" (method in capitals, a path)' }),
  description: z.string().optional(),
  defaults: z
    .strictObject({
      headers: headers.optional(),
      compare: compareSchema.optional(),
      timeoutMs: timeoutMs.optional(),
    })
    .optional(),
  cases: z.array(caseSchema).min(1, { error: 'needs at least one case' }),
});

export type ContractRequest = z.output<typeof requestSchema>;
export type ContractExpectation = z.output<typeof expectSchema>;
export type ContractCompareOptions = z.output<typeof compareSchema>;
export type ContractStep = z.output<typeof stepSchema>;
export type ContractReadBack = z.output<typeof readBackSchema>;
export type ContractCase = z.output<typeof caseSchema>;
export type ContractCaseFile = z.output<typeof caseFileSchema>;
