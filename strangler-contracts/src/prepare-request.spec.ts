import { mergeCompareOptions, prepareRequest } from './prepare-request.js';

const scope = {
  values: new Map<string, unknown>([
    ['id', 'a b'],
    ['token', 't0k'],
  ]),
  env: {},
};

describe('prepareRequest', () => {
  it('merges default headers, removes nulls, encodes path values, appends the query', () => {
    const prepared = prepareRequest(
      {
        method: 'GET',
        path: '/cards/${id}?x=1',
        headers: { 'X-Trace': 'yes', Authorization: null },
        query: { tag: ['a', '${token}'], page: 2, flag: true },
      },
      { headers: { authorization: 'Bearer ${token}', accept: 'application/json' }, timeoutMs: 50 },
      scope,
    );
    expect(prepared).toEqual({
      method: 'GET',
      target: '/cards/a%20b?x=1&tag=a&tag=t0k&page=2&flag=true',
      headers: {
        'user-agent': 'strangler-contracts',
        accept: 'application/json',
        'x-trace': 'yes',
      },
      timeoutMs: 50,
    });
  });

  it('serialises a JSON body with its content type; a raw body goes as written', () => {
    const json = prepareRequest(
      { method: 'POST', path: '/cards', json: { title: '${id}' }, timeoutMs: 9 },
      { timeoutMs: 50 },
      scope,
    );
    expect(json).toMatchObject({
      body: '{"title":"a b"}',
      headers: { 'content-type': 'application/json' },
      timeoutMs: 9,
    });
    const raw = prepareRequest(
      {
        method: 'POST',
        path: '/cards',
        body: '{"broken',
        headers: { 'content-type': 'text/plain' },
      },
      { timeoutMs: 50 },
      scope,
    );
    expect(raw).toMatchObject({ body: '{"broken', headers: { 'content-type': 'text/plain' } });
  });

  it('merges comparison options: lists add up, single values from the case win', () => {
    expect(
      mergeCompareOptions(
        { keyOrder: true, ignore: ['$.id'], headers: ['content-type'], status: true },
        { ignore: ['$.createdAt'], status: false, unordered: ['$.tags'] },
      ),
    ).toEqual({
      keyOrder: true,
      status: false,
      ignore: ['$.id', '$.createdAt'],
      headers: ['content-type'],
      unordered: ['$.tags'],
    });
  });
});
