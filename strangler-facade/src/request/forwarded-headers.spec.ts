import { BlockList } from 'node:net';

import { clientAddressOf, unwrapMappedIPv4, upstreamRequestHeaders } from './forwarded-headers.js';

const INTERNAL: ReadonlySet<string> = new Set([
  'x-strangler-cohort',
  'x-strangler-upstream',
  'x-beta',
]);

/** Node-style `headers` from a raw list: lower-case keys, duplicates joined with ", ". */
function headersOf(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index].toLowerCase();
    out[name] = out[name] === undefined ? raw[index + 1] : `${out[name]}, ${raw[index + 1]}`;
  }
  return out;
}

function build(
  raw: string[],
  remoteAddress = '192.0.2.7',
  trusted: BlockList | null = null,
  trustedClient = false,
) {
  const list = upstreamRequestHeaders(
    raw,
    headersOf(raw),
    { remoteAddress, encrypted: false },
    'req-1',
    trusted,
    undefined,
    trustedClient ? null : INTERNAL,
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
      ['X-Real-IP', '6.6.6.6'],
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

  it('drops X-Strangler-* and internal headers from untrusted clients, the shadow marker from all', () => {
    const sent = [
      'X-Strangler-Shadow',
      '1',
      'X-Strangler-Upstream',
      'cards-service',
      'x-strangler-anything',
      'x',
      'X-Beta',
      'yes',
      'Accept',
      '*/*',
    ];
    expect(build(sent).slice(0, 1)).toEqual([['Accept', '*/*']]);
    expect(build(sent, '192.0.2.7', null, true).slice(0, 4)).toEqual([
      ['X-Strangler-Upstream', 'cards-service'],
      ['x-strangler-anything', 'x'],
      ['X-Beta', 'yes'],
      ['Accept', '*/*'],
    ]);
  });

  const PROXY_ONLY = [
    'X-Forwarded-Port',
    '443',
    'X-Forwarded-Prefix',
    '/admin',
    'X-Forwarded-Server',
    'lb',
    'X-Original-URL',
    '/admin/users',
    'X-Rewrite-URL',
    '/admin/users',
    'True-Client-IP',
    '6.6.6.6',
    'CF-Connecting-IP',
    '6.6.6.6',
    'X-Client-IP',
    '6.6.6.6',
    'X-Forwarded-Scheme',
    'https',
  ];

  it('drops proxy-only headers unless the peer is a trusted proxy (IPv4 or IPv6 CIDR)', () => {
    const names = (pairs: [string, string][]) => pairs.map(([name]) => name);
    expect(names(build(PROXY_ONLY))).toEqual([
      'x-request-id',
      'x-forwarded-for',
      'x-forwarded-proto',
      'forwarded',
    ]);
    const trusted = new BlockList();
    trusted.addSubnet('fd00::', 8, 'ipv6');
    const kept = build(PROXY_ONLY, 'fd12::1', trusted);
    expect(kept.slice(0, PROXY_ONLY.length / 2)).toEqual(
      PROXY_ONLY.flatMap((value, index) =>
        index % 2 === 0 ? [[value, PROXY_ONLY[index + 1]] as [string, string]] : [],
      ),
    );
    expect(names(build(PROXY_ONLY, 'fe80::1', trusted))).not.toContain('X-Original-URL');
  });
});

describe('clientAddressOf', () => {
  const proxies = new BlockList();
  proxies.addSubnet('10.0.0.0', 8, 'ipv4');
  proxies.addAddress('::1', 'ipv6');

  it('is the peer when no proxy is trusted or the peer is not one', () => {
    expect(clientAddressOf('::ffff:203.0.113.9', '6.6.6.6', null)).toBe('203.0.113.9');
    expect(clientAddressOf('203.0.113.9', '6.6.6.6', proxies)).toBe('203.0.113.9');
  });

  it('behind trusted proxies, is the right-most untrusted hop of X-Forwarded-For', () => {
    expect(clientAddressOf('10.0.0.2', '6.6.6.6, 198.51.100.4, 10.0.0.1', proxies)).toBe(
      '198.51.100.4',
    );
    expect(clientAddressOf('::1', ['2001:db8::7', '10.1.1.1'], proxies)).toBe('2001:db8::7');
    expect(clientAddressOf('10.0.0.2', '10.0.0.3', proxies)).toBe('10.0.0.3');
    expect(clientAddressOf('10.0.0.2', undefined, proxies)).toBe('10.0.0.2');
  });

  it('stops at a malformed hop instead of believing what is left of it', () => {
    expect(clientAddressOf('10.0.0.2', '6.6.6.6, nonsense, 10.0.0.1', proxies)).toBe('10.0.0.1');
  });
});
