import { headerValue, isJsonContentType, parseBody } from './http-response.js';
import { jsonTypeOf, previewJson } from './json-value.js';

describe('headerValue', () => {
  it.each<[Record<string, string | number | string[] | undefined>, string | undefined]>([
    [{ etag: '"1"' }, '"1"'],
    [{ ETag: ' "1" ' }, '"1"'],
    [{ etag: ['a ', ' b'] }, 'a, b'],
    [{ etag: 7 }, '7'],
    [{ etag: undefined }, undefined],
    [{}, undefined],
  ])('reads %j', (headers, expected) => {
    expect(headerValue(headers, 'etag')).toBe(expected);
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['application/problem+json', true],
    ['application/vnd.api+json;charset=utf-8', true],
    ['application/jsonx', false],
    ['text/json', false],
    ['text/html', false],
    ['', false],
  ])('%p → %p', (contentType, expected) => {
    expect(isJsonContentType(contentType)).toBe(expected);
  });
});

describe('parseBody', () => {
  const headers = { 'content-type': 'application/json' };

  it('parses JSON from a Buffer, a string or a view into a larger buffer', () => {
    const backing = Buffer.from('xx{"a":1}yy');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 7);
    expect(parseBody({ status: 200, headers, body: Buffer.from('{"a":1}') })).toEqual({
      kind: 'json',
      value: { a: 1 },
    });
    expect(parseBody({ status: 200, headers, body: '{"a":1}' })).toEqual({
      kind: 'json',
      value: { a: 1 },
    });
    expect(parseBody({ status: 200, headers, body: view })).toEqual({
      kind: 'json',
      value: { a: 1 },
    });
  });

  it('tells empty, invalid JSON and other bodies apart', () => {
    expect(parseBody({ status: 204, headers })).toEqual({ kind: 'empty' });
    expect(parseBody({ status: 200, headers, body: '' })).toEqual({ kind: 'empty' });
    expect(parseBody({ status: 200, headers, body: '{' })).toMatchObject({ kind: 'invalid-json' });
    expect(parseBody({ status: 200, headers: {}, body: '{}' })).toMatchObject({
      kind: 'bytes',
      contentType: '',
    });
    expect(
      parseBody({ status: 200, headers: {}, body: '{}', contentType: 'application/json' }),
    ).toEqual({
      kind: 'json',
      value: {},
    });
  });
});

describe('json values', () => {
  it.each([
    [null, 'null'],
    [true, 'boolean'],
    [1, 'number'],
    ['1', 'string'],
    [[], 'array'],
    [{}, 'object'],
  ])('jsonTypeOf(%j) is %s', (value, type) => {
    expect(jsonTypeOf(value)).toBe(type);
  });

  it.each([
    [{ a: [1, 'x', null] }, 100, '{"a":[1,"x",null]}'],
    [{ a: [1, 'x', null] }, 8, '{"a":[1,…'],
    ['a long string', 5, '"a lo…'],
    [[], 0, '…'],
  ])('previewJson(%j, %i) is %s', (value, max, expected) => {
    expect(previewJson(value, max)).toBe(expected);
  });

  it('previews only what it prints of a huge value', () => {
    const huge = Array.from({ length: 1_000_000 }, (_, i) => i);
    const started = performance.now();
    expect(previewJson(huge, 10)).toBe('[0,1,2,3,4…');
    expect(performance.now() - started).toBeLessThan(50);
  });
});
