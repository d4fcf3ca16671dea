/**
 * The JSON Schema of a case file, generated from the zod schema (never hand-edited), for editors:
 * `# yaml-language-server: $schema=../../strangler-contracts/case-file.schema.json` at the top of
 * a case file gives completion and checks while typing. `case-file.schema.json` is this output;
 * its spec fails when they drift and rewrites it with `UPDATE_CASE_SCHEMA=1`. Path syntax,
 * capture sources and comparison options are checked by the zod schema only.
 */
import { z } from 'zod';
import { caseFileSchema } from './case-file.schema.js';

export const CASE_FILE_SCHEMA_ID = 'urn:strangler:contract-case-file:v1';

export function caseFileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(caseFileSchema, { io: 'input', unrepresentable: 'any' }),
    $id: CASE_FILE_SCHEMA_ID,
    title: 'strangler contract case file',
    description:
      'Contract cases of one endpoint, run against the old and the new side and compared (docs/contract-tests.md).',
  };
}
