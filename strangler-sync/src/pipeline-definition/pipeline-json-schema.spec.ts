import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipelineJsonSchema } from './pipeline-json-schema.js';

const COMMITTED = path.join(import.meta.dirname, '../../pipeline.schema.json');

describe('pipeline.schema.json', () => {
  it('equals the schema generated from the zod schema (UPDATE_PIPELINE_SCHEMA=1 rewrites it)', () => {
    const generated = pipelineJsonSchema();
    if (process.env.UPDATE_PIPELINE_SCHEMA === '1') {
      writeFileSync(COMMITTED, JSON.stringify(generated, null, 2) + '\n');
    }
    expect(JSON.parse(readFileSync(COMMITTED, 'utf8'))).toEqual(generated);
  });

  it('describes skipAppliedBy for editors', () => {
    const properties = (pipelineJsonSchema() as { properties: Record<string, unknown> }).properties;
    expect(properties.skipAppliedBy).toMatchObject({ type: 'array', items: { type: 'string' } });
  });
});
