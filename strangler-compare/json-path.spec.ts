import {
  formatConcretePath,
  formatNormalisedPath,
  jsonPathProblem,
  JsonPathSyntaxError,
  parseJsonPath,
  PathSegment,
} from './json-path.js';
import { PathRuleSet } from './path-rules.js';

describe('parseJsonPath', () => {
  it.each([
    ['$', []],
    ['$.title', [{ kind: 'member', name: 'title', descendant: false }]],
    ["$['content-type']", [{ kind: 'member', name: 'content-type', descendant: false }]],
    ['$["a b"]', [{ kind: 'member', name: 'a b', descendant: false }]],
    ["$['it\\'s']", [{ kind: 'member', name: "it's", descendant: false }]],
    ['$[3]', [{ kind: 'index', index: 3, descendant: false }]],
    ['$[*]', [{ kind: 'any', descendant: false }]],
    ['$.*', [{ kind: 'any', descendant: false }]],
    ['$..etag', [{ kind: 'member', name: 'etag', descendant: true }]],
    ['$..*', [{ kind: 'any', descendant: true }]],
    ["$..['x-y']", [{ kind: 'member', name: 'x-y', descendant: true }]],
    [
      '$.items[*].updatedAt',
      [
        { kind: 'member', name: 'items', descendant: false },
        { kind: 'any', descendant: false },
        { kind: 'member', name: 'updatedAt', descendant: false },
      ],
    ],
  ])('parses %s', (expression, steps) => {
    expect(parseJsonPath(expression)).toEqual(steps);
  });

  it.each([
    ['', 1],
    ['items', 1],
    ['$.', 3],
    ['$..', 4],
    ['$.1abc', 3],
    ['$[-1]', 3],
    ['$[01]', 3],
    ['$[1', 4],
    ["$['open", 2],
    ['$[?(@.x)]', 3],
    ['$.a b', 4],
  ])('rejects %p at character %i', (expression, position) => {
    let error: unknown;
    try {
      parseJsonPath(expression);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JsonPathSyntaxError);
    expect((error as JsonPathSyntaxError).position + 1).toBe(position);
    expect(jsonPathProblem(expression)).toContain(`at character ${position}`);
  });

  it('accepts valid paths in jsonPathProblem', () => {
    expect(jsonPathProblem('$.items[*].id')).toBeNull();
  });
});

describe('formatting', () => {
  const segments: PathSegment[] = ['items', 3, 'author', 'display name', "o'k"];

  it('formats concrete and normalised paths', () => {
    expect(formatConcretePath(segments)).toBe("$.items[3].author['display name']['o\\'k']");
    expect(formatNormalisedPath(segments)).toBe("$.items[*].author['display name']['o\\'k']");
    expect(formatConcretePath([])).toBe('$');
  });

  it('round-trips: a formatted path parses back and matches its own location', () => {
    const concrete = new PathRuleSet([{ expression: formatConcretePath(segments), action: 1 }]);
    const normalised = new PathRuleSet([{ expression: formatNormalisedPath(segments), action: 1 }]);
    expect(concrete.matches(segments)).toBe(true);
    expect(normalised.matches(segments)).toBe(true);
    expect(normalised.matches(['items', 7, 'author', 'display name', "o'k"])).toBe(true);
    expect(concrete.matches(['items', 7, 'author', 'display name', "o'k"])).toBe(false);
  });
});

describe('PathRuleSet', () => {
  const cases: [string, PathSegment[], boolean][] = [
    ['$', [], true],
    ['$.updatedAt', ['updatedAt'], true],
    ['$.updatedAt', ['item', 'updatedAt'], false],
    ['$.items[*].updatedAt', ['items', 0, 'updatedAt'], true],
    ['$.items[*].updatedAt', ['items', 12, 'updatedAt'], true],
    ['$.items[*].updatedAt', ['items', 12], false],
    ['$.items[*].updatedAt', ['items', 12, 'author', 'updatedAt'], false],
    ['$.items[2].id', ['items', 2, 'id'], true],
    ['$.items[2].id', ['items', 3, 'id'], false],
    ['$.items[2]', ['items', '2'], false],
    ["$['2']", ['2'], true],
    ['$.*', ['anything'], true],
    ['$.*', [0], true],
    ['$..etag', ['etag'], true],
    ['$..etag', ['a', 1, 'b', 'etag'], true],
    ['$..etag', ['a', 1, 'b'], false],
    ['$..etag', ['etag', 'x'], false],
    ['$.items..id', ['items', 4, 'author', 'id'], true],
    ['$.items..id', ['id'], false],
    ['$..items[*].id', ['page', 'items', 1, 'id'], true],
    ['$..*', ['a', 'b'], true],
    ['$..[0]', ['a', 0], true],
    ['$..[0]', ['a', 1], false],
  ];

  it.each(cases)('%s matches %j: %p', (expression, segments, expected) => {
    expect(new PathRuleSet([{ expression, action: true }]).matches(segments)).toBe(expected);
  });

  it('returns the actions of every path ending at a node, in declaration order', () => {
    const rules = new PathRuleSet([
      { expression: '$.items', action: 'a' },
      { expression: '$..items', action: 'b' },
      { expression: '$.other', action: 'c' },
    ]);
    const state = rules.advance(rules.root, 'items');
    expect(rules.actionsAt(state)).toEqual(['a', 'b']);
    expect(rules.actionsAt(rules.advance(state, 0))).toEqual([]);
  });

  it('keeps the same state object while only recursive steps are pending', () => {
    const rules = new PathRuleSet([{ expression: '$..etag', action: 1 }]);
    const state = rules.advance(rules.root, 'a');
    expect(rules.advance(state, 'b')).toBe(state);
  });

  it('costs nothing when no path applies', () => {
    const rules = new PathRuleSet<number>([]);
    expect(rules.root).toHaveLength(0);
    expect(rules.advance(rules.root, 'x')).toHaveLength(0);
    expect(rules.matches([])).toBe(false);
  });
});
