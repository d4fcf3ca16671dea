import { compileComparison } from './compile-comparison.js';
import { DiffSummary, routeKeyOf } from './diff-summary.js';
import { renderDifferences } from './render-differences.js';
import { renderSummaryTable } from './render-summary.js';

const route = { rule: 'cards-read', method: 'get', pathPattern: '/cards/:id' };
const list = { rule: 'cards-list', method: 'GET', pathPattern: '/cards' };
const compare = compileComparison({ maxValueChars: 40 });

/** Runs `n` comparisons of `route` into `summary`, with a timestamp that changes every time. */
function feed(summary: DiffSummary, n: number, candidateTitle: (i: number) => string): void {
  for (let i = 0; i < n; i++) {
    summary.record(
      route,
      compare.compareJson(
        { title: 't', at: i, likes: 1 },
        { title: candidateTitle(i), at: i + 1000, likes: 1 },
        { title: 't', at: i + 1, likes: 1 },
      ),
    );
  }
}

describe('DiffSummary', () => {
  it('keys routes by rule, method and path pattern', () => {
    expect(routeKeyOf(route)).toBe('cards-read GET /cards/:id');
  });

  it('counts failing of compared per route, and per field kinds, noise and noise ratio', () => {
    const summary = new DiffSummary();
    feed(summary, 10, (i) => (i < 3 ? 'other' : 't'));
    summary.record(list, compare.compareJson({ items: [] }, { items: [] }));
    summary.record(list, compare.compareJson({ items: [1] }, { items: ['1'] }));

    expect(summary.route(route)).toEqual({
      key: 'cards-read GET /cards/:id',
      rule: 'cards-read',
      method: 'GET',
      pathPattern: '/cards/:id',
      compared: 10,
      failing: 3,
      learned: 10,
      omittedFields: 0,
      fields: [
        { path: '$.title', kinds: { value: 3 }, failing: 3, noise: 0, noisy: 0, noiseRatio: 0 },
        { path: '$.at', kinds: {}, failing: 0, noise: 10, noisy: 10, noiseRatio: 1 },
      ],
    });
    expect(summary.route('cards-list GET /cards')).toMatchObject({
      compared: 2,
      failing: 1,
      learned: 0,
      fields: [{ path: '$.items[*]', kinds: { type: 1 }, failing: 1 }],
    });
    expect(summary.routes().map((r) => r.key)).toEqual([
      'cards-list GET /cards',
      'cards-read GET /cards/:id',
    ]);
    expect(summary.noisyFields(route)).toEqual(['$.at']);
    expect(summary.noisyFields(route, { minLearned: 11 })).toEqual([]);
  });

  it('reports a field that is noisy most of the time with its noise ratio', () => {
    const summary = new DiffSummary();
    for (let i = 0; i < 10; i++) {
      // The primaries disagree on $.rank in 7 of 10 comparisons; $.title is stable.
      const second = { title: 't', rank: i < 7 ? i + 1 : i };
      summary.record(
        route,
        compare.compareJson({ title: 't', rank: i }, { title: 't', rank: 99 }, second),
      );
    }
    const rank = summary.route(route)?.fields.find((field) => field.path === '$.rank');
    expect(rank).toEqual({
      path: '$.rank',
      kinds: { value: 3 },
      failing: 3,
      noise: 7,
      noisy: 7,
      noiseRatio: 0.7,
    });
    expect(summary.route(route)?.failing).toBe(3);
    expect(summary.noisyFields(route)).toEqual(['$.rank']);
    expect(summary.noisyFields(route, { minRatio: 0.8 })).toEqual([]);
  });

  it('counts a field once per comparison, however many elements differ', () => {
    const summary = new DiffSummary();
    summary.record(list, compare.compareJson({ items: [1, 2, 3] }, { items: [4, 5, 6] }));
    expect(summary.route(list)?.fields).toEqual([
      { path: '$.items[*]', kinds: { value: 1 }, failing: 1, noise: 0, noisy: 0, noiseRatio: 0 },
    ]);
  });

  it('bounds the fields tracked per route', () => {
    const summary = new DiffSummary({ maxFieldsPerRoute: 2 });
    summary.record(list, compare.compareJson({ a: 1, b: 1, c: 1 }, { a: 2, b: 2, c: 2 }));
    expect(summary.route(list)?.fields).toHaveLength(2);
    expect(summary.route(list)?.omittedFields).toBe(1);
  });

  it('round-trips through JSON and merges snapshots', () => {
    const summary = new DiffSummary();
    feed(summary, 4, () => 'x');
    const snapshot = JSON.parse(JSON.stringify(summary)) as ReturnType<DiffSummary['toJSON']>;
    expect(snapshot.version).toBe(1);
    const restored = DiffSummary.fromJSON(snapshot);
    expect(restored.toJSON()).toEqual(summary.toJSON());
    restored.merge(snapshot);
    expect(restored.route(route)).toMatchObject({ compared: 8, failing: 8, learned: 8 });
    expect(restored.route(route)?.fields[0]).toEqual({
      path: '$.title',
      kinds: { value: 8 },
      failing: 8,
      noise: 0,
      noisy: 0,
      noiseRatio: 0,
    });
  });
});

describe('renderSummaryTable', () => {
  it('renders routes and their fields as aligned tables', () => {
    const summary = new DiffSummary();
    feed(summary, 10, (i) => (i < 3 ? 'other' : 't'));
    summary.record(list, compare.compareJson({ items: [] }, { items: [] }));
    expect(renderSummaryTable(summary)).toBe(
      [
        'route                      compared  failing  learned',
        'cards-list GET /cards             1        0        0',
        'cards-read GET /cards/:id        10        3       10',
        '',
        'cards-read GET /cards/:id: 3 failing of 10 compared',
        '  field    kinds     failing  noise  noise ratio',
        '  $.title  value ×3        3      0           0%',
        '  $.at                     0     10         100%  noisy',
        '',
      ].join('\n'),
    );
    expect(renderSummaryTable(summary.toJSON())).toBe(renderSummaryTable(summary));
  });

  it('says so when nothing was recorded, and cuts long field lists', () => {
    expect(renderSummaryTable(new DiffSummary())).toBe('no comparisons recorded\n');
    const summary = new DiffSummary();
    summary.record(list, compare.compareJson({ a: 1, b: 1, c: 1 }, {}));
    expect(renderSummaryTable(summary, { maxFields: 1 })).toContain('  … 2 more fields');
  });
});

describe('renderDifferences', () => {
  const strict = compileComparison({ headers: ['etag'] });
  const response = (status: number, etag: string, body: unknown) => ({
    status,
    headers: { etag, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  it('renders one line per difference, then the noise', () => {
    const result = strict.compare(
      response(200, '"1"', { title: 'old', items: [1, 2], gone: true, at: 1 }),
      response(500, '"2"', { title: 'new', items: [2, 1], at: 3 }),
      response(200, '"1"', { title: 'old', items: [1, 2], gone: true, at: 2 }),
    );
    expect(renderDifferences(result)).toBe(
      [
        '- status: 200 → 500',
        '- headers.etag: "\\"1\\"" → "\\"2\\""',
        '- $.title: "old" → "new"',
        '- $.items: [1,2] → [2,1]  [order] same elements in a different order',
        '- $.gone: true → (absent)  [missing]',
        'noise (the primaries disagree here too):',
        '~ $.at: 1 → 3',
        '',
      ].join('\n'),
    );
    expect(renderDifferences(result, { noise: false })).not.toContain('$.at');
  });

  it('colours primary and candidate values on request', () => {
    const result = strict.compareJson({ a: 1 }, { a: 2 });
    expect(renderDifferences(result, { color: true })).toBe(
      '- $.a: \u001b[31m1\u001b[0m → \u001b[32m2\u001b[0m\n',
    );
  });

  it('says when there is nothing to show, and how many differences were left out', () => {
    expect(renderDifferences(strict.compareJson({ a: 1 }, { a: 1 }))).toBe('no differences\n');
    const capped = compileComparison({ maxDifferences: 1 }).compareJson([1, 2, 3], [4, 5, 6]);
    expect(renderDifferences(capped)).toBe('- $[0]: 1 → 4\n… and 2 more differences\n');
  });
});
