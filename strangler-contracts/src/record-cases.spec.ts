import {
  compileComparison,
  MismatchStore,
  type ComparisonOptions,
  type ObservedRequest,
  type StoredComparison,
} from '../../strangler-compare/index.js';
import type { ContractCase } from './case-file.schema.js';
import { parseCaseFile } from './load-case-files.js';
import { recordCases } from './record-cases.js';

const route = { rule: 'cards-write', method: 'POST', pathPattern: '/cards/:id' };
const options: ComparisonOptions = { ignore: ['$.id'], unordered: ['$.tags'], headers: ['etag'] };
const comparison = compileComparison(options);

function stored(request: ObservedRequest, candidateTitle = 'old'): StoredComparison[] {
  const store = new MismatchStore({ sampleMatchesEvery: 1 });
  const primary = {
    status: 201,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'old' }),
  };
  const candidate = { ...primary, body: JSON.stringify({ title: candidateTitle }) };
  store.record({
    route,
    request,
    primary,
    candidate,
    result: comparison.compare(primary, candidate),
  });
  return [...store.mismatches(), ...store.matches()];
}

const post: ObservedRequest = {
  method: 'POST',
  url: '/cards/7?tag=a&tag=b&q=x',
  headers: {
    host: 'facade:8080',
    connection: 'keep-alive',
    'content-length': '16',
    'content-type': 'application/json',
    authorization: 'Bearer secret',
    cookie: 'session=1',
    'x-forwarded-for': '10.0.0.1',
    accept: 'application/json',
    'x-trace': '${notAVariable}',
    traceparent: '00-3be4a6930f66b42375bb2f266fac3da3-425adc669a9e7e00-01',
  },
  body: JSON.stringify({ title: 'hi', n: 1 }),
};

function casesOf(text: string): ContractCase[] {
  const parsed = parseCaseFile('recorded/cards-write.recorded.yaml', text);
  if (!('loaded' in parsed)) throw new Error(parsed.problems.join('\n'));
  return parsed.loaded.file.cases;
}

describe('recordCases', () => {
  it('writes a case file that parseCaseFile loads, comparing with the rule options', () => {
    const recorded = recordCases(stored(post, 'new'), { rule: 'cards-write', compare: options });
    expect(recorded.cases).toBe(1);
    const parsed = parseCaseFile('cards-write.recorded.yaml', recorded.text);
    if (!('loaded' in parsed)) throw new Error(parsed.problems.join('\n'));
    expect(parsed.loaded.file.endpoint).toBe('POST /cards/:id');
    const [only] = parsed.loaded.file.cases;
    expect(only.name).toMatch(/^POST \/cards\/7 [0-9a-f]{8}$/);
    expect(only.description).toContain('$.title');
    expect(only.compare).toEqual(options);
    expect(only.expect).toEqual({ status: 201 });
  });

  it('keeps method, path, query and the JSON body; drops hop-by-hop, auth and cookie headers', () => {
    const [only] = casesOf(recordCases(stored(post), { rule: 'cards-write' }).text);
    expect(only.request).toEqual({
      method: 'POST',
      path: '/cards/7',
      query: { tag: ['a', 'b'], q: 'x' },
      headers: { accept: 'application/json', 'x-trace': '$${notAVariable}' },
      json: { title: 'hi', n: 1 },
    });
    expect(only.compare).toBeUndefined();
  });

  it('keeps auth headers with keepAuth', () => {
    const [only] = casesOf(recordCases(stored(post), { rule: 'r', keepAuth: true }).text);
    expect(only.request.headers).toMatchObject({
      authorization: 'Bearer secret',
      cookie: 'session=1',
    });
    expect(only.request.headers).not.toHaveProperty('host');
    expect(only.request.headers).not.toHaveProperty('connection');
  });

  it('sends a body that is not JSON as raw text with its content type', () => {
    const form = {
      method: 'POST',
      url: '/cards/7',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    };
    const [only] = casesOf(recordCases(stored(form), { rule: 'r' }).text);
    expect(only.request.body).toBe('hello');
    expect(only.request.json).toBeUndefined();
    expect(only.request.headers).toEqual({ 'content-type': 'text/plain' });
  });

  it('deduplicates identical requests, mismatches first', () => {
    const entries = [
      ...stored(post),
      ...stored(post, 'new'),
      ...stored({ ...post, headers: { ...post.headers, 'x-forwarded-for': '10.9.9.9' } }),
      ...stored({ ...post, url: '/cards/8' }),
    ];
    const recorded = recordCases(entries, { rule: 'cards-write' });
    expect(recorded.cases).toBe(2);
    expect(recorded.skipped).toHaveLength(2);
    const cases = casesOf(recorded.text);
    expect(cases.map((c) => c.request.path)).toEqual(['/cards/7', '/cards/8']);
    expect(cases[0].description).toContain('mismatch');
    expect(new Set(cases.map((c) => c.name)).size).toBe(2);
  });

  it('ignores the fields the shadow learned as noise', () => {
    const store = new MismatchStore({ sampleMatchesEvery: 1 });
    const at = (time: number) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'old', updatedAt: time }),
    });
    const result = comparison.compare(at(1), at(3), at(2));
    store.record({ route, request: post, primary: at(1), candidate: at(3), result });
    const [only] = casesOf(recordCases(store.matches(), { rule: 'r', compare: options }).text);
    expect(only.compare?.ignore).toEqual(['$.id', '$.updatedAt']);
    expect(only.compare?.unordered).toEqual(['$.tags']);
  });

  it('returns no text when nothing is stored', () => {
    expect(recordCases([], { rule: 'r' })).toEqual({ text: '', cases: 0, skipped: [] });
  });
});
