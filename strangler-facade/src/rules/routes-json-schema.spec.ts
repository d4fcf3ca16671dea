import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';

import { routesJsonSchema } from './routes-json-schema.js';

const COMMITTED = path.join(import.meta.dirname, '../../routes.schema.json');

describe('routes.schema.json', () => {
  it('equals the schema generated from the zod schema (UPDATE_ROUTES_SCHEMA=1 rewrites it)', () => {
    const generated = routesJsonSchema();
    if (process.env.UPDATE_ROUTES_SCHEMA === '1') {
      writeFileSync(COMMITTED, JSON.stringify(generated, null, 2) + '\n');
    }
    expect(JSON.parse(readFileSync(COMMITTED, 'utf8'))).toEqual(generated);
  });

  it('describes the top-level keys of the example routes.yaml', () => {
    const example = parse(
      readFileSync(path.join(import.meta.dirname, '../../../routes.yaml'), 'utf8'),
    ) as object;
    const properties = Object.keys(routesJsonSchema().properties ?? {});
    for (const key of Object.keys(example)) expect(properties).toContain(key);
    expect(routesJsonSchema().required).toEqual(
      expect.arrayContaining(['version', 'upstreams', 'default']),
    );
  });
});
