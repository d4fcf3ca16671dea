import { clientResponseHeaders } from './response-headers.js';

describe('clientResponseHeaders', () => {
  it('strips hop-by-hop headers, keeps repeated Set-Cookie, and adds the facade’s own last', () => {
    const list = clientResponseHeaders(
      {
        'content-type': 'application/json',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-hop': '1',
        'set-cookie': ['a=1', 'b=2'],
        'x-request-id': 'upstream-id',
        'x-strangler-route': 'spoof',
      },
      ['x-request-id', 'rid', 'x-strangler-route', 'cards'],
    );
    expect(list).toEqual([
      'content-type',
      'application/json',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
      'x-request-id',
      'rid',
      'x-strangler-route',
      'cards',
    ]);
  });
});
