import {
  ComparisonOptions,
  ComparisonOptionsError,
  ComparisonResult,
  compileComparison,
} from './compile-comparison.js';
import { ObservedResponse } from './http-response.js';

const json = (
  body: unknown,
  status = 200,
  headers: Record<string, string | string[]> = {},
): ObservedResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

const text = (
  body: string | Buffer,
  contentType = 'text/plain',
  status = 200,
): ObservedResponse => ({
  status,
  headers: { 'Content-Type': contentType },
  body,
});

/** `kind concretePath primary → candidate` per difference, for compact expectations. */
const lines = (
  result: ComparisonResult,
  which: 'differences' | 'noise' = 'differences',
): string[] =>
  result[which].map(
    (d) => `${d.kind} ${d.concretePath} ${d.primary ?? '(absent)'} → ${d.candidate ?? '(absent)'}`,
  );

const diff = (primary: unknown, candidate: unknown, options: ComparisonOptions = {}): string[] =>
  lines(compileComparison(options).compare(json(primary), json(candidate)));

describe('compare: kinds of difference', () => {
  it.each<[string, unknown, unknown, string[]]>([
    ['equal objects, other member order', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, []],
    ['value: string', { title: 'old' }, { title: 'new' }, ['value $.title "old" → "new"']],
    ['value: number', { n: 1 }, { n: 2 }, ['value $.n 1 → 2']],
    ['value: boolean', { ok: true }, { ok: false }, ['value $.ok true → false']],
    ['missing member', { a: 1, b: 2 }, { a: 1 }, ['missing $.b 2 → (absent)']],
    ['extra member', { a: 1 }, { a: 1, b: 2 }, ['extra $.b (absent) → 2']],
    ['type: number vs string', { id: 1 }, { id: '1' }, ['type $.id 1 → "1"']],
    ['type: null vs value', { x: null }, { x: 0 }, ['type $.x null → 0']],
    ['null vs absent is missing', { x: null }, {}, ['missing $.x null → (absent)']],
    ['absent vs null is extra', {}, { x: null }, ['extra $.x (absent) → null']],
    ['type: object vs array', { x: {} }, { x: [] }, ['type $.x {} → []']],
    ['type at the root', [1], { a: 1 }, ['type $ [1] → {"a":1}']],
    [
      'nested arrays of objects',
      {
        items: [
          { id: 1, tags: [{ n: 'a' }] },
          { id: 2, tags: [] },
        ],
      },
      {
        items: [
          { id: 1, tags: [{ n: 'b' }] },
          { id: 2, tags: [{ n: 'c' }] },
        ],
      },
      ['value $.items[0].tags[0].n "a" → "b"', 'extra $.items[1].tags[0] (absent) → {"n":"c"}'],
    ],
    ['ordered array: shorter', [1, 2, 3], [1, 2], ['missing $[2] 3 → (absent)']],
    ['ordered array: longer', [1], [1, 5], ['extra $[1] (absent) → 5']],
    [
      'order: same elements, other order',
      { items: [{ id: 1 }, { id: 2 }, { id: 2 }] },
      { items: [{ id: 2 }, { id: 1 }, { id: 2 }] },
      ['order $.items [{"id":1},{"id":2},{"id":2}] → [{"id":2},{"id":1},{"id":2}]'],
    ],
    [
      'not an order difference when the multisets differ',
      [1, 1, 2],
      [2, 1, 2],
      ['value $[0] 1 → 2'],
    ],
    ['odd member names', { 'a b': 1 }, { 'a b': 2 }, ["value $['a b'] 1 → 2"]],
  ])('%s', (_name, primary, candidate, expected) => {
    expect(diff(primary, candidate)).toEqual(expected);
  });

  it('reports the normalised path for aggregation beside the concrete path', () => {
    const result = compileComparison().compare(
      json({ items: [{ likeCount: 1 }, { likeCount: 2 }] }),
      json({ items: [{ likeCount: 1 }, { likeCount: 3 }] }),
    );
    expect(result.differences).toEqual([
      {
        kind: 'value',
        path: '$.items[*].likeCount',
        concretePath: '$.items[1].likeCount',
        primary: '2',
        candidate: '3',
      },
    ]);
    expect(result.matches).toBe(false);
    expect(result.fields).toEqual([
      { path: '$.items[*].likeCount', kind: 'value', count: 1, noise: false },
    ]);
  });

  it('reports member order only with keyOrder', () => {
    expect(diff({ a: 1, b: 2 }, { b: 2, a: 1 }, { keyOrder: true })).toEqual([
      'order $ ["a","b"] → ["b","a"]',
    ]);
    expect(
      diff({ a: 1, b: 2, c: 3 }, { b: 2, a: 1, c: 3 }, { keyOrder: true, ignore: ['$.a'] }),
    ).toEqual([]);
  });
});

describe('compare: status and headers', () => {
  it('compares the status code', () => {
    const result = compileComparison().compare(json({}, 200), json({}, 500));
    expect(lines(result)).toEqual(['status status 200 → 500']);
    expect(compileComparison({ status: false }).compare(json({}, 200), json({}, 500)).matches).toBe(
      true,
    );
  });

  it('compares only the declared headers, names in any case', () => {
    const compare = compileComparison({ headers: ['Cache-Control', 'x-total', 'ETag'] });
    const result = compare.compare(
      json({}, 200, { 'cache-control': 'no-store', 'X-Total': '3', date: 'a', etag: '"1"' }),
      json({}, 200, { 'Cache-Control': 'no-store', 'x-total': '4', date: 'b' }),
    );
    expect(lines(result)).toEqual([
      'header headers.x-total "3" → "4"',
      'header headers.etag "\\"1\\"" → (absent)',
    ]);
    expect(result.differences[0]?.path).toBe('headers.x-total');
  });

  it('joins repeated header values', () => {
    const compare = compileComparison({ headers: ['vary'] });
    expect(
      compare.compare(json({}, 200, { vary: ['a', 'b'] }), json({}, 200, { vary: 'a, b' })).matches,
    ).toBe(true);
  });
});

describe('compare: ignored paths', () => {
  const primary = {
    id: 1,
    updatedAt: 'a',
    etag: 'x',
    items: [
      { id: 1, updatedAt: 'a', meta: { etag: 'x' } },
      { id: 2, updatedAt: 'b', meta: { etag: 'y' } },
    ],
  };
  const candidate = {
    id: 1,
    updatedAt: 'A',
    etag: 'X',
    items: [
      { id: 1, updatedAt: 'A', meta: { etag: 'X' } },
      { id: 2, updatedAt: 'B', meta: { etag: 'Y' } },
    ],
  };

  it.each<[string, string[], string[]]>([
    [
      'nothing ignored',
      [],
      [
        'value $.updatedAt "a" → "A"',
        'value $.etag "x" → "X"',
        'value $.items[0].updatedAt "a" → "A"',
        'value $.items[0].meta.etag "x" → "X"',
        'value $.items[1].updatedAt "b" → "B"',
        'value $.items[1].meta.etag "y" → "Y"',
      ],
    ],
    [
      'a member of the root',
      ['$.updatedAt'],
      [
        'value $.etag "x" → "X"',
        'value $.items[0].updatedAt "a" → "A"',
        'value $.items[0].meta.etag "x" → "X"',
        'value $.items[1].updatedAt "b" → "B"',
        'value $.items[1].meta.etag "y" → "Y"',
      ],
    ],
    [
      'a wildcard over array elements',
      ['$.items[*].updatedAt'],
      [
        'value $.updatedAt "a" → "A"',
        'value $.etag "x" → "X"',
        'value $.items[0].meta.etag "x" → "X"',
        'value $.items[1].meta.etag "y" → "Y"',
      ],
    ],
    ['recursive descent', ['$..etag', '$..updatedAt'], []],
    [
      'one concrete element',
      ['$.items[1]', '$..etag', '$.updatedAt'],
      ['value $.items[0].updatedAt "a" → "A"'],
    ],
    ['the whole body', ['$'], []],
    ['bracket names', ["$['updatedAt']", "$..['etag']", '$.items.*.updatedAt'], []],
  ])('%s', (_name, ignore, expected) => {
    expect(diff(primary, candidate, { ignore })).toEqual(expected);
  });

  it('ignores missing and extra members at ignored paths', () => {
    expect(diff({ a: 1, t: 1 }, { a: 1, u: 2 }, { ignore: ['$.t', '$.u'] })).toEqual([]);
  });

  it('honours ignored paths when detecting a reordered array', () => {
    expect(
      diff(
        {
          items: [
            { id: 1, at: 'a' },
            { id: 2, at: 'b' },
          ],
        },
        {
          items: [
            { id: 2, at: 'x' },
            { id: 1, at: 'y' },
          ],
        },
        { ignore: ['$.items[*].at'] },
      ),
    ).toEqual([
      'order $.items [{"id":1,"at":"a"},{"id":2,"at":"b"}] → [{"id":2,"at":"x"},{"id":1,"at":"y"}]',
    ]);
  });
});

describe('compare: unordered arrays', () => {
  it.each<[string, ComparisonOptions['unordered'], unknown, unknown, string[]]>([
    [
      'scalars in another order',
      ['$.tags'],
      { tags: ['a', 'b', 'c'] },
      { tags: ['c', 'a', 'b'] },
      [],
    ],
    [
      'duplicates count (multiset)',
      ['$.tags'],
      { tags: ['a', 'a', 'b'] },
      { tags: ['a', 'b', 'b'] },
      ['missing $.tags[1] "a" → (absent)', 'extra $.tags[2] (absent) → "b"'],
    ],
    [
      'objects by deep equality, member order ignored',
      ['$.items'],
      {
        items: [
          { id: 1, n: 'a' },
          { id: 2, n: 'b' },
        ],
      },
      {
        items: [
          { n: 'b', id: 2 },
          { id: 1, n: 'a' },
        ],
      },
      [],
    ],
    [
      'objects by deep equality: a changed element is missing + extra',
      ['$.items'],
      {
        items: [
          { id: 1, n: 'a' },
          { id: 2, n: 'b' },
        ],
      },
      {
        items: [
          { id: 2, n: 'B' },
          { id: 1, n: 'a' },
        ],
      },
      [
        'missing $.items[1] {"id":2,"n":"b"} → (absent)',
        'extra $.items[0] (absent) → {"id":2,"n":"B"}',
      ],
    ],
    [
      'objects by key: a changed element is compared field by field',
      [{ path: '$.items', key: 'id' }],
      {
        items: [
          { id: 1, n: 'a' },
          { id: 2, n: 'b' },
        ],
      },
      {
        items: [
          { id: 2, n: 'B' },
          { id: 1, n: 'a' },
        ],
      },
      ['value $.items[1].n "b" → "B"'],
    ],
    [
      'by key: missing, extra and duplicate keys',
      [{ path: '$.items', key: 'id' }],
      { items: [{ id: 1 }, { id: 2, v: 1 }, { id: 2, v: 2 }, { id: 3 }] },
      { items: [{ id: 4 }, { id: 2, v: 1 }, { id: 2, v: 3 }, { id: 1 }] },
      [
        'value $.items[2].v 2 → 3',
        'missing $.items[3] {"id":3} → (absent)',
        'extra $.items[0] (absent) → {"id":4}',
      ],
    ],
    [
      'by key: number and string keys differ',
      [{ path: '$', key: 'id' }],
      [{ id: 1 }],
      [{ id: '1' }],
      ['missing $[0] {"id":1} → (absent)', 'extra $[0] (absent) → {"id":"1"}'],
    ],
    [
      'by key: elements without the key fall back to equality',
      [{ path: '$', key: 'id' }],
      [{ id: 1 }, 'x', { other: 1 }],
      [{ other: 1 }, { id: 1 }, 'x'],
      [],
    ],
    [
      'nested: arrays inside unordered elements',
      [{ path: '$.cards', key: 'id' }, '$.cards[*].tags'],
      {
        cards: [
          { id: 'a', tags: ['x', 'y'] },
          { id: 'b', tags: ['z'] },
        ],
      },
      {
        cards: [
          { id: 'b', tags: ['z'] },
          { id: 'a', tags: ['y', 'x'] },
        ],
      },
      [],
    ],
    [
      'nested unordered arrays inside elements matched by equality',
      ['$.groups', '$.groups[*]'],
      {
        groups: [
          [1, 2],
          [3, 4],
        ],
      },
      {
        groups: [
          [4, 3],
          [2, 1],
        ],
      },
      [],
    ],
    [
      'recursive path marks every "tags" array unordered',
      ['$..tags'],
      { a: { tags: [1, 2] }, b: [{ tags: [3, 4] }] },
      { a: { tags: [2, 1] }, b: [{ tags: [4, 3] }] },
      [],
    ],
    [
      'ignored members do not prevent a match',
      ['$.items'],
      {
        items: [
          { id: 1, at: 'x' },
          { id: 2, at: 'y' },
        ],
      },
      {
        items: [
          { id: 2, at: 'q' },
          { id: 1, at: 'r' },
        ],
      },
      [],
    ],
  ])('%s', (_name, unordered, primary, candidate, expected) => {
    expect(diff(primary, candidate, { unordered, ignore: ['$.items[*].at'] })).toEqual(expected);
  });
});

describe('compare: numeric tolerance', () => {
  it.each<[string, ComparisonOptions['numericTolerance'], unknown, unknown, number]>([
    ['absolute, inside', { absolute: 0.01 }, { p: 1.0 }, { p: 1.005 }, 0],
    ['absolute, outside', { absolute: 0.01 }, { p: 1.0 }, { p: 1.02 }, 1],
    ['relative, inside', { relative: 0.01 }, { p: 1000 }, { p: 1009 }, 0],
    ['relative, outside', { relative: 0.01 }, { p: 1000 }, { p: 1011 }, 1],
    ['limited to paths, applies', { absolute: 1, paths: ['$.p'] }, { p: 1 }, { p: 2 }, 0],
    ['limited to paths, elsewhere', { absolute: 1, paths: ['$.p'] }, { q: 1 }, { q: 2 }, 1],
    ['never across types', { absolute: 1 }, { p: 1 }, { p: '1' }, 1],
  ])('%s', (_name, numericTolerance, primary, candidate, count) => {
    expect(diff(primary, candidate, { numericTolerance })).toHaveLength(count);
  });

  it('pairs unordered elements within tolerance', () => {
    expect(
      diff(
        { pts: [{ x: 1.0 }, { x: 2.0 }] },
        { pts: [{ x: 2.001 }, { x: 0.999 }] },
        { numericTolerance: { absolute: 0.01 }, unordered: ['$.pts'] },
      ),
    ).toEqual([]);
  });
});

describe('compare: bodies that are not JSON', () => {
  it('compares text bodies as bytes with an excerpt around the first difference', () => {
    const prefix = 'x'.repeat(100);
    const result = compileComparison({ excerptBytes: 5 }).compare(
      text(`${prefix}hello world`),
      text(`${prefix}hello there`),
    );
    expect(result.differences).toEqual([
      {
        kind: 'value',
        path: '$',
        concretePath: '$',
        primary: '"…ello world"',
        candidate: '"…ello there"',
        detail: 'bodies differ from byte 106 (lengths 111 and 111)',
      },
    ]);
  });

  it('treats equal bytes as equal, whatever their type', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const compare = compileComparison();
    expect(
      compare.compare(text(bytes, 'image/png'), text(Buffer.from(bytes), 'image/png')).matches,
    ).toBe(true);
    expect(compare.compare(text('same'), text(Buffer.from('same'))).matches).toBe(true);
  });

  it('reports invalid JSON on one side as a type difference', () => {
    const broken: ObservedResponse = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    };
    const result = compileComparison().compare(json({ a: 1 }), broken);
    expect(result.differences).toHaveLength(1);
    expect(result.differences[0]).toMatchObject({
      kind: 'type',
      path: '$',
      primary: '{"a":1}',
      candidate: '"{\\"a\\":"',
    });
    expect(result.differences[0]?.detail).toMatch(
      /^primary body is JSON, candidate body is invalid JSON/,
    );
  });

  it('compares invalid JSON on both sides as text', () => {
    const broken = (body: string): ObservedResponse => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(compileComparison().compare(broken('{x'), broken('{x')).matches).toBe(true);
    expect(compileComparison().compare(broken('{x'), broken('{y')).matches).toBe(false);
  });

  it('reports JSON against HTML as a type difference', () => {
    const result = compileComparison().compare(json({}), text('<html>', 'text/html'));
    expect(result.differences[0]?.detail).toBe(
      'primary body is JSON, candidate body is not JSON (text/html)',
    );
  });

  it('treats an absent body as missing / extra', () => {
    const empty: ObservedResponse = { status: 204, headers: {} };
    const compare = compileComparison({ status: false });
    expect(compare.compare(empty, { ...empty, body: Buffer.alloc(0) }).matches).toBe(true);
    expect(lines(compare.compare(json({ a: 1 }), empty))).toEqual(['missing $ {"a":1} → (absent)']);
    expect(lines(compare.compare(empty, text('hi')))).toEqual(['extra $ (absent) → "hi"']);
  });

  it('recognises JSON media types with a suffix, and a UTF-8 byte order mark', () => {
    const problem: ObservedResponse = {
      status: 400,
      headers: { 'content-type': 'application/problem+json' },
      body: '\ufeff{"title":"x"}',
    };
    expect(lines(compileComparison().compare(json({ title: 'y' }, 400), problem))).toEqual([
      'value $.title "y" → "x"',
    ]);
  });
});

describe('compare: noise learning with a second primary', () => {
  const compare = compileComparison();

  it('classifies a field that differs between primaries as noise, a stable one as a failure', () => {
    const result = compare.compare(
      json({ title: 'a', generatedAt: '2026-01-01T00:00:00.000Z' }),
      json({ title: 'b', generatedAt: '2026-01-01T00:00:05.000Z' }),
      json({ title: 'a', generatedAt: '2026-01-01T00:00:01.000Z' }),
    );
    expect(result.matches).toBe(false);
    expect(lines(result)).toEqual(['value $.title "a" → "b"']);
    expect(lines(result, 'noise')).toEqual([
      'value $.generatedAt "2026-01-01T00:00:00.000Z" → "2026-01-01T00:00:05.000Z"',
    ]);
    expect(result.learnedNoise).toBe(true);
    expect(result.noisyFields).toEqual(['$.generatedAt']);
    expect(result.fields).toEqual([
      { path: '$.title', kind: 'value', count: 1, noise: false },
      { path: '$.generatedAt', kind: 'value', count: 1, noise: true },
    ]);
  });

  it('passes when every difference is noise', () => {
    const result = compare.compare(json({ n: 1 }), json({ n: 3 }), json({ n: 2 }));
    expect(result.matches).toBe(true);
    expect(result.differences).toEqual([]);
    expect(result.noise).toHaveLength(1);
  });

  it('treats everything below a noisy location as noise', () => {
    const result = compare.compare(
      json({ items: [{ id: 1 }, { id: 2 }], stats: { x: 1 } }),
      json({ items: [{ id: 3 }, { id: 1 }], stats: { x: 2 } }),
      json({ items: [{ id: 2 }, { id: 1 }], stats: { x: 1 } }),
    );
    // The primaries disagree on the order of $.items: everything under it is noise.
    expect(result.noisyFields).toEqual(['$.items']);
    expect(lines(result)).toEqual(['value $.stats.x 1 → 2']);
    expect(lines(result, 'noise')).toEqual([
      'value $.items[0].id 1 → 3',
      'value $.items[1].id 2 → 1',
    ]);
  });

  it('does not treat a parent as noise because a child is noisy', () => {
    const result = compare.compare(
      json({ meta: { at: 1, v: 1 } }),
      json({}),
      json({ meta: { at: 2, v: 1 } }),
    );
    expect(lines(result)).toEqual(['missing $.meta {"at":1,"v":1} → (absent)']);
  });

  it('learns noisy status and headers too', () => {
    const compareHeaders = compileComparison({ headers: ['date'] });
    const result = compareHeaders.compare(
      json({}, 200, { date: 'Mon' }),
      json({}, 200, { date: 'Wed' }),
      json({}, 200, { date: 'Tue' }),
    );
    expect(result.matches).toBe(true);
    expect(lines(result, 'noise')).toEqual(['header headers.date "Mon" → "Wed"']);
  });

  it('works on parsed JSON with compareJson', () => {
    const result = compare.compareJson({ a: 1, t: 1 }, { a: 2, t: 3 }, { a: 1, t: 2 });
    expect(lines(result)).toEqual(['value $.a 1 → 2']);
    expect(lines(result, 'noise')).toEqual(['value $.t 1 → 3']);
    expect(compare.compareJson(undefined, undefined).matches).toBe(true);
    expect(lines(compare.compareJson({ a: 1 }, undefined))).toEqual([
      'missing $ {"a":1} → (absent)',
    ]);
  });
});

describe('compare: bounds', () => {
  it('keeps at most maxDifferences and counts the rest', () => {
    const primary = Array.from({ length: 30 }, (_, i) => i);
    const candidate = primary.map((n) => n + 100);
    const result = compileComparison({ maxDifferences: 10 }).compare(
      json(primary),
      json(candidate),
    );
    expect(result.differences).toHaveLength(10);
    expect(result.omittedDifferences).toBe(20);
    expect(result.fields).toEqual([{ path: '$[*]', kind: 'value', count: 30, noise: false }]);
  });

  it('cuts stored values to maxValueChars', () => {
    const result = compileComparison({ maxValueChars: 10 }).compare(
      json({ big: { list: Array.from({ length: 1000 }, (_, i) => i) } }),
      json({}),
    );
    expect(result.differences[0]?.primary).toBe('{"list":[0…');
  });

  it('compares containers nested deeper than maxDepth as a whole', () => {
    let deep: unknown = 1;
    let other: unknown = 2;
    for (let i = 0; i < 50; i++) {
      deep = [deep];
      other = [other];
    }
    const result = compileComparison({ maxDepth: 10 }).compare(
      json({ deep }),
      json({ deep: other }),
    );
    expect(result.differences).toHaveLength(1);
    expect(result.differences[0]?.detail).toBe('nested deeper than 10 levels: compared as a whole');
    expect(
      compileComparison({ maxDepth: 10 }).compare(json({ deep }), json({ deep })).matches,
    ).toBe(true);
  });

  it('survives very deep bodies with the default depth', () => {
    const body = '{"d":'.repeat(5000) + '1' + '}'.repeat(5000);
    const response: ObservedResponse = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body,
    };
    expect(compileComparison().compare(response, response).matches).toBe(true);
  });
});

describe('compileComparison: option validation', () => {
  it('collects every problem, naming the option', () => {
    const attempt = (): unknown =>
      compileComparison({
        ignore: ['$.ok', 'updatedAt'],
        unordered: [{ path: '$.items[', key: 'id' }],
        numericTolerance: { absolute: -1 },
        headers: ['bad header'],
        maxDifferences: 0,
      });
    expect(attempt).toThrow(ComparisonOptionsError);
    try {
      attempt();
    } catch (error) {
      expect((error as ComparisonOptionsError).problems).toEqual([
        'ignore[1]: invalid path "updatedAt" at character 1: a path starts with "$"',
        expect.stringMatching(/^unordered\[0\]\.path: invalid path "\$\.items\["/),
        'numericTolerance.absolute: expected a finite number >= 0',
        'maxDifferences: expected a positive integer',
        'headers[0]: expected a header name',
      ]);
    }
  });

  it('rejects an empty key for unordered arrays and an empty tolerance', () => {
    expect(() => compileComparison({ unordered: [{ path: '$.items', key: '' }] })).toThrow(
      'unordered[0].key: expected a non-empty member name',
    );
    expect(() => compileComparison({ numericTolerance: {} })).toThrow(
      'numericTolerance: give "absolute", "relative" or both',
    );
  });

  it('accepts no options at all', () => {
    expect(compileComparison().compare(json({ a: 1 }), json({ a: 1 })).matches).toBe(true);
  });
});
