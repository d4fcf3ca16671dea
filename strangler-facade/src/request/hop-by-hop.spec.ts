import { connectionTokens, isConnectionScoped, isHopByHop } from './hop-by-hop.js';

describe('hop-by-hop headers', () => {
  it.each([
    'connection',
    'keep-alive',
    'proxy-connection',
    'proxy-authorization',
    'proxy-authenticate',
    'proxy-anything',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
  ])('%s is hop-by-hop', (name) => {
    expect(isHopByHop(name)).toBe(true);
  });

  it.each(['content-type', 'content-length', 'authorization', 'cookie', 'x-proxy'])(
    '%s is end-to-end',
    (name) => {
      expect(isHopByHop(name)).toBe(false);
    },
  );

  it('collects the header names a Connection header lists', () => {
    expect(connectionTokens(undefined)).toBeNull();
    expect(connectionTokens('keep-alive')).toBeNull();
    expect([...(connectionTokens('Keep-Alive, X-Secret ,x-other') ?? [])]).toEqual([
      'x-secret',
      'x-other',
    ]);
    expect([...(connectionTokens(['close', 'X-A']) ?? [])]).toEqual(['x-a']);
    const tokens = connectionTokens('x-secret');
    expect(isConnectionScoped('x-secret', tokens)).toBe(true);
    expect(isConnectionScoped('te', null)).toBe(true);
    expect(isConnectionScoped('accept', tokens)).toBe(false);
  });
});
