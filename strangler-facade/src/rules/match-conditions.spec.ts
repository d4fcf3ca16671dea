import { RequestFacts, parseCookies } from '../request/request-facts.js';
import { compileRules, type CompiledRuleTable } from './compile-rules.js';
import { matchRule } from './match-rule.js';
import { routesFileSchema, type RoutesFileInput } from './rule-schema.js';

function table(rules: RoutesFileInput['rules'], settings: RoutesFileInput['settings'] = {}) {
  const config = routesFileSchema.parse({
    version: 1,
    settings,
    upstreams: {
      legacy: { url: 'http://127.0.0.1:3001' },
      'cards-service': { url: 'http://127.0.0.1:3002' },
    },
    rules,
    default: { upstream: 'legacy' },
  });
  const compiled = compileRules(config);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.table;
}

const facts = (headers: Record<string, string> = {}, search = '', trusted = false): RequestFacts =>
  new RequestFacts(headers, search, trusted, '10.0.0.1');

describe('header / cookie / query conditions', () => {
  const rules: CompiledRuleTable = table([
    {
      name: 'staff',
      match: { path: '/cards/:id', headers: { 'X-Strangler-Cohort': { equals: 'staff' } } },
      upstream: 'cards-service',
    },
    {
      name: 'beta',
      match: { path: '/cards/:id', cookies: { beta: { present: true } } },
      upstream: 'cards-service',
    },
    {
      name: 'preview',
      match: { path: '/cards/:id', query: { preview: { equals: '1' } } },
      upstream: 'cards-service',
    },
    {
      name: 'mobile',
      match: {
        path: '/cards/:id',
        headers: { 'user-agent': { regex: '^Mobile/' }, 'x-debug': { present: false } },
      },
      upstream: 'cards-service',
    },
  ]);
  const route = (f?: RequestFacts): string => matchRule(rules, 'GET', '/cards/1', f).name;

  it.each([
    ['no facts', undefined, 'default'],
    ['nothing matching', facts(), 'default'],
    [
      'cohort header from a trusted client',
      facts({ 'x-strangler-cohort': 'staff' }, '', true),
      'staff',
    ],
    [
      'cohort header from an UNtrusted client (internal)',
      facts({ 'x-strangler-cohort': 'staff' }),
      'default',
    ],
    ['cohort with another value', facts({ 'x-strangler-cohort': 'ops' }, '', true), 'default'],
    ['beta cookie', facts({ cookie: 'a=1; beta=yes' }), 'beta'],
    ['a cookie named like beta', facts({ cookie: 'betax=1' }), 'default'],
    ['preview=1', facts({}, '?x=2&preview=1'), 'preview'],
    ['preview=2', facts({}, '?preview=2'), 'default'],
    ['mobile UA without x-debug', facts({ 'user-agent': 'Mobile/1.0' }), 'mobile'],
    ['mobile UA with x-debug', facts({ 'user-agent': 'Mobile/1.0', 'x-debug': '1' }), 'default'],
    ['desktop UA', facts({ 'user-agent': 'Desktop/1.0' }), 'default'],
  ])('%s → %s', (_what, f, expected) => {
    expect(route(f)).toBe(expected);
  });

  it('treats every X-Strangler-* header as internal, configured or not', () => {
    const own = table([
      {
        name: 'debug',
        match: { prefix: '/', headers: { 'x-strangler-debug': { equals: 'on' } } },
        upstream: 'cards-service',
      },
    ]);
    const debug = (f: RequestFacts) => matchRule(own, 'GET', '/x', f).name;
    expect(debug(facts({ 'x-strangler-debug': 'on' }))).toBe('default');
    expect(debug(facts({ 'x-strangler-debug': 'on' }, '', true))).toBe('debug');
  });

  it('refuses invalid conditions at load', () => {
    expect(() =>
      table([
        { name: 'x', match: { path: '/x', headers: { a: { regex: '(' } } }, upstream: 'legacy' },
      ]),
    ).toThrow(/invalid regular expression/);
    expect(() =>
      table([
        {
          name: 'x',
          match: { path: '/x', headers: { a: { equals: '1', present: true } as never } },
          upstream: 'legacy',
        },
      ]),
    ).toThrow();
  });

  it('parses cookies (quoted, encoded, first wins)', () => {
    expect([...parseCookies('a=1; b="two"; c=%20x; a=2; junk')]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['c', ' x'],
    ]);
  });
});
