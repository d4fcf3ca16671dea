import { compileComparison } from './compile-comparison.js';
import { ObservedResponse } from './http-response.js';
import { ComparisonRecord, MismatchStore } from './mismatch-store.js';

const cardsRead = { rule: 'cards-read', method: 'GET', pathPattern: '/cards/:id' };
const cardsList = { rule: 'cards-list', method: 'GET', pathPattern: '/cards' };
const compare = compileComparison();

const response = (body: unknown, status = 200): ObservedResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'X-Request-Id': 'r1' },
  body: JSON.stringify(body),
});

let clock = 0;
function exchange(
  route = cardsRead,
  candidateBody: unknown = { title: 'new' },
  primaryBody: unknown = { title: 'old' },
): ComparisonRecord {
  const primary = response(primaryBody);
  const candidate = response(candidateBody);
  return {
    route,
    request: { method: 'GET', url: `/cards/${++clock}`, headers: { accept: 'application/json' } },
    primary,
    candidate,
    result: compare.compare(primary, candidate),
    at: clock,
  };
}

const urls = (entries: { request: { url: string } }[]): string[] =>
  entries.map((entry) => entry.request.url);

describe('MismatchStore', () => {
  beforeEach(() => {
    clock = 0;
  });

  it('keeps request, both responses and the diff of a mismatch', () => {
    const store = new MismatchStore();
    const stored = store.record(exchange());
    expect(stored).toMatchObject({
      id: 1,
      routeKey: 'cards-read GET /cards/:id',
      at: 1,
      matches: false,
      request: { method: 'GET', url: '/cards/1', headers: { accept: 'application/json' } },
      primary: {
        status: 200,
        headers: { 'content-type': 'application/json', 'x-request-id': 'r1' },
        body: { encoding: 'utf8', data: '{"title":"old"}', bytes: 15, truncated: false },
      },
      candidate: { body: { data: '{"title":"new"}' } },
    });
    expect(stored?.result.differences).toHaveLength(1);
    expect(store.mismatches(cardsRead)).toEqual([stored]);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(stored?.bytes);
    expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
  });

  it('keeps the last N mismatches per route, evicting the oldest', () => {
    const store = new MismatchStore({ mismatchesPerRoute: 3 });
    for (let i = 0; i < 5; i++) store.record(exchange(cardsRead));
    store.record(exchange(cardsList));
    expect(urls(store.mismatches(cardsRead))).toEqual(['/cards/3', '/cards/4', '/cards/5']);
    expect(urls(store.mismatches('cards-list GET /cards'))).toEqual(['/cards/6']);
    expect(urls(store.mismatches())).toEqual(['/cards/3', '/cards/4', '/cards/5', '/cards/6']);
    expect(store.size).toBe(4);
  });

  it('samples 1 in K matches per route, in a bounded queue of their own', () => {
    const store = new MismatchStore({ sampleMatchesEvery: 3, matchesPerRoute: 2 });
    const kept = [];
    for (let i = 0; i < 10; i++) kept.push(store.record(exchange(cardsRead, { a: 1 }, { a: 1 })));
    expect(kept.map((entry) => entry !== undefined)).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    expect(urls(store.matches(cardsRead))).toEqual(['/cards/7', '/cards/10']);
    expect(store.mismatches()).toEqual([]);
    expect(store.matches()[0]?.matches).toBe(true);
  });

  it('keeps no matches when sampling is off', () => {
    const store = new MismatchStore({ sampleMatchesEvery: 0 });
    expect(store.record(exchange(cardsRead, { a: 1 }, { a: 1 }))).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('bounds each entry, cutting bodies with a marker and keeping small ones whole', () => {
    const store = new MismatchStore({ maxEntryBytes: 4000 });
    const big = { text: 'x'.repeat(20_000) };
    const stored = store.record(exchange(cardsRead, big, { small: true }));
    expect(stored?.bytes).toBeLessThanOrEqual(4000);
    expect(stored?.primary.body).toEqual({
      encoding: 'utf8',
      data: '{"small":true}',
      bytes: 14,
      truncated: false,
    });
    const candidate = stored?.candidate.body;
    expect(candidate?.truncated).toBe(true);
    expect(candidate?.bytes).toBe(20_011);
    expect(candidate?.data).toMatch(/^\{"text":"x+…\[truncated 20011 bytes\]$/);
    expect(JSON.stringify(stored).length).toBeLessThanOrEqual(4000);
  });

  it('stores binary bodies as base64, bounded too', () => {
    const store = new MismatchStore({ maxEntryBytes: 3000 });
    const image = (bytes: number): ObservedResponse => ({
      status: 200,
      headers: { 'content-type': 'image/png' },
      body: Buffer.alloc(bytes, 7),
    });
    const primary = image(10);
    const candidate = image(10_000);
    const stored = store.record({
      route: cardsRead,
      request: { method: 'GET', url: '/img' },
      primary,
      candidate,
      result: compare.compare(primary, candidate),
    });
    expect(stored?.primary.body).toEqual({
      encoding: 'base64',
      data: Buffer.alloc(10, 7).toString('base64'),
      bytes: 10,
      truncated: false,
    });
    expect(stored?.candidate.body?.truncated).toBe(true);
    expect(stored?.bytes).toBeLessThanOrEqual(3000);
  });

  it('drops differences from a huge result rather than exceed the entry bound', () => {
    const wide = compileComparison({ maxDifferences: 500, maxValueChars: 100 });
    const primary = response(Array.from({ length: 400 }, (_, i) => 'a'.repeat(50) + i));
    const candidate = response(Array.from({ length: 400 }, (_, i) => 'b'.repeat(50) + i));
    const store = new MismatchStore({ maxEntryBytes: 5000 });
    const stored = store.record({
      route: cardsRead,
      request: { method: 'GET', url: '/x' },
      primary,
      candidate,
      result: wide.compare(primary, candidate),
    });
    expect(stored?.bytes).toBeLessThanOrEqual(5000);
    expect(stored?.result.differences.length).toBeLessThan(400);
    expect(
      (stored?.result.differences.length ?? 0) + (stored?.result.omittedDifferences ?? 0),
    ).toBe(400);
    expect(stored?.matches).toBe(false);
  });

  it('bounds the total, evicting the oldest entry of any route', () => {
    const store = new MismatchStore({ maxEntryBytes: 2000, maxTotalBytes: 5000 });
    const body = { text: 'y'.repeat(1500) };
    for (let i = 0; i < 3; i++) store.record(exchange(cardsRead, body));
    for (let i = 0; i < 3; i++) store.record(exchange(cardsList, body));
    expect(store.bytes).toBeLessThanOrEqual(5000);
    const kept = urls(store.mismatches());
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(6);
    expect(kept[kept.length - 1]).toBe('/cards/6');
    // What remains is always the newest entries, in order.
    expect(kept).toEqual(
      ['/cards/1', '/cards/2', '/cards/3', '/cards/4', '/cards/5', '/cards/6'].slice(
        6 - kept.length,
      ),
    );
    expect(store.size).toBe(kept.length);
  });

  it('inserts in constant time: many records stay fast and bounded', () => {
    const store = new MismatchStore({ mismatchesPerRoute: 10, maxTotalBytes: 1024 * 1024 });
    const record = exchange();
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) store.record(record);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(store.size).toBe(10);
    expect(store.mismatches(cardsRead).map((entry) => entry.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => 19_991 + i),
    );
  });

  it('clears everything and validates its options', () => {
    const store = new MismatchStore();
    store.record(exchange());
    store.clear();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
    expect(store.mismatches()).toEqual([]);
    expect(() => new MismatchStore({ maxEntryBytes: 10, maxTotalBytes: 5 })).toThrow(RangeError);
    expect(() => new MismatchStore({ mismatchesPerRoute: -1 })).toThrow(RangeError);
  });
});
