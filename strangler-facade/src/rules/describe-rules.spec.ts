import { compileRules } from './compile-rules.js';
import { describeRules, formatRouteTable } from './describe-rules.js';
import { routesFileSchema } from './rule-schema.js';

const compiled = compileRules(
  routesFileSchema.parse({
    version: 1,
    upstreams: {
      legacy: { url: 'http://127.0.0.1:3001' },
      'cards-service': { url: 'http://127.0.0.1:3002' },
    },
    rules: [
      {
        name: 'cards-get-by-id',
        match: { methods: ['GET'], path: '/cards/:id' },
        upstream: 'cards-service',
      },
      { name: 'cards', match: { prefix: '/cards' }, upstream: 'legacy' },
    ],
    default: { upstream: 'legacy' },
  }),
);
if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
const table = compiled.table;

describe('describe-rules', () => {
  it('prints the route table, one aligned line per rule, default last', () => {
    expect(formatRouteTable(table).split('\n')).toEqual([
      'cards-get-by-id  GET  path /cards/:id  → cards-service (http://127.0.0.1:3002)',
      'cards            *    prefix /cards    → legacy (http://127.0.0.1:3001)',
      'default          *    (anything else)  → legacy (http://127.0.0.1:3001)',
    ]);
  });

  it('describes rules as plain data', () => {
    expect(describeRules(table)).toEqual({
      rules: [
        {
          name: 'cards-get-by-id',
          methods: ['GET', 'HEAD'],
          path: '/cards/:id',
          upstream: 'cards-service',
          upstreamUrl: 'http://127.0.0.1:3002',
        },
        {
          name: 'cards',
          methods: null,
          prefix: '/cards',
          upstream: 'legacy',
          upstreamUrl: 'http://127.0.0.1:3001',
        },
      ],
      default: { name: 'default', upstream: 'legacy', upstreamUrl: 'http://127.0.0.1:3001' },
    });
  });
});
