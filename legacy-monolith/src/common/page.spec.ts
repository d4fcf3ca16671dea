import { pageWindow, toPage } from './page.js';

describe('page', () => {
  it('defaults to page 1 of 20', () => {
    expect(pageWindow({})).toEqual({ page: 1, pageSize: 20, offset: 0 });
  });

  it('computes the offset', () => {
    expect(pageWindow({ page: 3, pageSize: 10 })).toEqual({ page: 3, pageSize: 10, offset: 20 });
  });

  it('keeps the contract key order', () => {
    const body = JSON.stringify(toPage(['a'], pageWindow({ page: 2, pageSize: 5 }), 6));
    expect(body).toBe('{"items":["a"],"page":2,"pageSize":5,"total":6}');
  });
});
