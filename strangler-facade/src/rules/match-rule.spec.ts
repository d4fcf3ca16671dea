import { compileRules, type CompiledRuleTable } from './compile-rules.js';
import { compilePathMatcher, isValidPathPattern, matchPathParams } from './path-pattern.js';
import { routesFileSchema, type RoutesFileInput } from './rule-schema.js';
import { matchRule } from './match-rule.js';

function table(
  input: Omit<RoutesFileInput, 'version' | 'upstreams'> & Partial<RoutesFileInput>,
): CompiledRuleTable {
  const config = routesFileSchema.parse({
    version: 1,
    upstreams: {
      legacy: { url: 'http://127.0.0.1:3001' },
      'cards-service': { url: 'http://127.0.0.1:3002' },
    },
    ...input,
  });
  const compiled = compileRules(config);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.table;
}

const example = table({
  rules: [
    {
      name: 'cards-get-by-id',
      match: { methods: ['GET'], path: '/cards/:id' },
      upstream: 'cards-service',
    },
    {
      name: 'card-comments',
      match: { methods: ['post'], path: '/cards/:id/comments' },
      upstream: 'cards-service',
    },
    { name: 'cards', match: { prefix: '/cards' }, upstream: 'legacy' },
  ],
  default: { upstream: 'legacy' },
});

const routeOf = (method: string, path: string): string => matchRule(example, method, path).name;

describe('matchRule', () => {
  it.each([
    ['GET', '/cards/123', 'cards-get-by-id'],
    ['HEAD', '/cards/123', 'cards-get-by-id'], // GET implies HEAD
    ['GET', '/cards/123/', 'cards-get-by-id'], // one trailing slash, like Express
    ['PATCH', '/cards/123', 'cards'], // method mismatch falls through to the prefix
    ['POST', '/cards/123/comments', 'card-comments'], // methods are case-insensitive in the file
    ['GET', '/cards/123/comments', 'cards'],
    ['GET', '/cards', 'cards'], // prefix matches itself
    ['GET', '/cards/', 'cards'],
    ['GET', '/cards/1/2/3', 'cards'],
    ['GET', '/cardsfoo', 'default'], // prefix stops at a segment boundary
    ['GET', '/cards-archive/1', 'default'],
    ['GET', '/feed', 'default'],
    ['GET', '/', 'default'],
    ['GET', '/CARDS/123', 'cards-get-by-id'], // case-insensitive by default, like Express
  ])('%s %s → %s', (method, path, expected) => {
    expect(routeOf(method, path)).toBe(expected);
  });

  it('uses the first matching rule when several match', () => {
    const ordered = table({
      rules: [
        { name: 'everything-cards', match: { prefix: '/cards' }, upstream: 'legacy' },
        { name: 'one-card', match: { path: '/cards/:id' }, upstream: 'cards-service' },
      ],
      default: { upstream: 'legacy' },
    });
    expect(matchRule(ordered, 'GET', '/cards/1').name).toBe('everything-cards');
  });

  it('returns the default rule (named "default" unless named) with its upstream', () => {
    const route = matchRule(example, 'DELETE', '/search');
    expect(route.name).toBe('default');
    expect(route.upstream.name).toBe('legacy');
    const named = table({ rules: [], default: { name: 'monolith', upstream: 'legacy' } });
    expect(matchRule(named, 'GET', '/x').name).toBe('monolith');
  });

  it('honours caseSensitive: true', () => {
    const strict = table({
      settings: { caseSensitive: true },
      rules: [{ name: 'cards', match: { prefix: '/cards' }, upstream: 'cards-service' }],
      default: { upstream: 'legacy' },
    });
    expect(matchRule(strict, 'GET', '/cards/1').name).toBe('cards');
    expect(matchRule(strict, 'GET', '/Cards/1').name).toBe('default');
  });

  it('a root prefix matches everything', () => {
    const all = table({
      rules: [{ name: 'all', match: { prefix: '/' }, upstream: 'cards-service' }],
      default: { upstream: 'legacy' },
    });
    expect(matchRule(all, 'GET', '/').name).toBe('all');
    expect(matchRule(all, 'GET', '/anything/at/all').name).toBe('all');
  });
});

describe('path patterns', () => {
  it('extracts parameters, one non-empty segment each', () => {
    const matcher = compilePathMatcher('path', '/cards/:cardId/comments/:commentId', false);
    expect(matchPathParams(matcher, '/cards/a1/comments/b2')).toEqual({
      cardId: 'a1',
      commentId: 'b2',
    });
    expect(matchPathParams(matcher, '/cards/a1/comments')).toBeNull();
    expect(matchPathParams(matcher, '/cards//comments/b2')).toBeNull();
    expect(matchPathParams(matcher, '/cards/a1/comments/b2/extra')).toBeNull();
  });

  it('escapes RegExp characters in literal segments', () => {
    const matcher = compilePathMatcher('path', '/v1.0/a+b', true);
    expect(matcher.regexp.test('/v1.0/a+b')).toBe(true);
    expect(matcher.regexp.test('/v1x0/aab')).toBe(false);
  });

  it.each(['/cards/:id', '/', '/a/b/c', "/a-b_c.d~e!$&'()*+,;=@", '/:a/:b'])(
    'valid: %s',
    (pattern) => {
      expect(isValidPathPattern(pattern)).toBe(true);
    },
  );

  it.each([
    '',
    'cards',
    '/cards/',
    '//cards',
    '/cards//x',
    '/cards/../x',
    '/./x',
    '/cards/:',
    '/:id/:id',
    '/a b',
    '/a%20b',
    '/a?b',
    '/:1x',
    '/a\\b',
  ])('invalid: %j', (pattern) => {
    expect(isValidPathPattern(pattern)).toBe(false);
  });
});
