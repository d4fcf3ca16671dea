/**
 * The one schema of `ComparisonOptions` as users write them in YAML: the facade's
 * `shadow.compare` in routes.yaml and the `compare` blocks of contract case files both use it,
 * so the two accept exactly the same options.
 */
import { z } from 'zod';

import { jsonPathProblem } from './json-path.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const jsonPath = z.string().superRefine((path, ctx) => {
  const problem = jsonPathProblem(path);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

export const comparisonOptionsSchema = z.strictObject({
  status: z.boolean().optional(),
  headers: z
    .array(z.string().regex(HEADER_NAME, 'must be an HTTP header name such as x-user-id'))
    .optional(),
  ignore: z.array(jsonPath).optional(),
  unordered: z
    .array(z.union([jsonPath, z.strictObject({ path: jsonPath, key: z.string().optional() })]))
    .optional(),
  numericTolerance: z
    .strictObject({
      absolute: z.number().min(0).optional(),
      relative: z.number().min(0).optional(),
      paths: z.array(jsonPath).optional(),
    })
    .optional(),
  keyOrder: z.boolean().optional(),
  maxDifferences: z.number().int().min(1).optional(),
  maxValueChars: z.number().int().min(8).optional(),
});
