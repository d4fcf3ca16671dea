import { BlockList } from 'node:net';

import { unwrapMappedIPv4, upstreamRequestHeaders } from './forwarded-headers.js';

/** Node-style `headers` from a raw list: lower-case keys, duplicates joined with ", ". */
function headersOf(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index].toLowerCase();
    out[name] = out[name] === undefined ? raw[index + 1] : `${out[name]}, ${raw[index + 1]}`;
  }
  return out;
}

function build(raw: string[], remoteAddress = '192.0.2.7', trusted: BlockList | null = null) {
  const list = upstreamRequestHeaders(
    raw,
    headersOf(raw),
    { remoteAddress, encrypted: false },
    'req-1',
    trusted,
  );
  const pairs: [string, string][] = [];
  for (let index = 0; index < list.length; index += 2) pairs.push([list[index], list[index + 1]]);
  return pairs;
}

const SPOOFED = [
  'Host',
  'facade.example:8080',
  'X-Forwarded-For',
  '6.6.6.6',
  'X-Forwarded-Proto',
  'https',
  'X-Forwarded-Host',
  'evil.example',
  'Forwarded',
  'for=6.6.6.6',
  'X-Real-IP',
  '6.6.6.6',
  'X-Request-Id',
  'client-id',
];

describe('upstreamRequestHeaders', () => {
  it('keeps end-to-end headers in order and casing, repeated ones included', () => {
    const pairs = build(['Accept', 'a/b', 'Cookie', 'a=1', 'X-Custom', 'x', 'Cookie', 'b=2']);
    expect(pairs.slice(0, 4)).toEqual([
      ['Accept', 'a/b'],
      ['Cookie', 'a=1'],
      ['X-Custom', 'x'],
      ['Cookie', 'b=2'],
    ]);
  });

  it('drops hop-by-hop headers, those named in Connection, Host and Expect', () => {
    const names = build([
      'Connection',
      'keep-alive, X-Secret',
      'Keep-Alive',
      'timeout=5',
      'X-Secret',
      's',
      'TE',
      'trailers',
      'Trailer',
      'x',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'websocket',
      'Proxy-Authorization',
      'Basic x',
      'Proxy-Connection',
      'keep-alive',
      'Expect',
      '100-continue',
      'Host',
      'h',
      'Authorization',
      'Bearer t',
    ]).map(([name]) => name.toLowerCase());
    expect(names).toEqual([
      'authorization',
      'x-request-id',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'forwarded',
    ]);
  });

  it('overwrites client-sent forwarding headers by default (not appended)', () => {
    expect(build(SPOOFED)).toEqual([
      ['x-request-id', 'req-1'],
      ['x-forwarded-for', '192.0.2.7'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'facade.example:8080'],
      ['forwarded', 'for=192.0.2.7;host="facade.example:8080";proto=http'],
    ]);
  });

  it('appends to a trusted proxy’s headers', () => {
    const trusted = new BlockList();
    trusted.addSubnet('192.0.2.0', 24, 'ipv4');
    expect(build(SPOOFED, '192.0.2.7', trusted)).toEqual([
      ['x-request-id', 'req-1'],
      ['x-forwarded-for', '6.6.6.6, 192.0.2.7'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-host', 'evil.example'],
      ['forwarded', 'for=6.6.6.6, for=192.0.2.7;host="facade.example:8080";proto=http'],
    ]);
    // A peer outside the list is not trusted even when a list exists.
    expect(build(SPOOFED, '198.51.100.1', trusted)[1]).toEqual(['x-forwarded-for', '198.51.100.1']);
  });

  it('quotes IPv6 peers in Forwarded and unwraps IPv4-mapped addresses', () => {
    expect(build([], '::1').at(-1)).toEqual(['forwarded', 'for="[::1]";proto=http']);
    expect(build([], '::ffff:127.0.0.1')[1]).toEqual(['x-forwarded-for', '127.0.0.1']);
    expect(unwrapMappedIPv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(unwrapMappedIPv4('::1')).toBe('::1');
  });
});
