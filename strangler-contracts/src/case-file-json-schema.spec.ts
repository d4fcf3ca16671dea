import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { caseFileJsonSchema } from './case-file-json-schema.js';

const COMMITTED = path.join(import.meta.dirname, '../case-file.schema.json');

describe('case-file.schema.json', () => {
  it('equals the schema generated from the zod schema (UPDATE_CASE_SCHEMA=1 rewrites it)', () => {
    const generated = caseFileJsonSchema();
    if (process.env.UPDATE_CASE_SCHEMA === '1') {
      writeFileSync(COMMITTED, JSON.stringify(generated, null, 2) + '\n');
    }
    expect(JSON.parse(readFileSync(COMMITTED, 'utf8'))).toEqual(generated);
  });
});
