import { normaliseTarget } from './normalise-path.js';

describe('normaliseTarget', () => {
  describe('normal form (matched and forwarded)', () => {
    it.each([
      ['/', '/'],
      ['/cards', '/cards'],
      ['/cards/', '/cards/'],
      ['/cards/123', '/cards/123'],
      // duplicate slashes collapse
      ['//cards', '/cards'],
      ['/cards//123', '/cards/123'],
      ['///', '/'],
      // dot segments
      ['/cards/../admin', '/admin'],
      ['/cards/./123', '/cards/123'],
      ['/cards/..', '/'],
      ['/cards/.', '/cards/'],
      ['/../../etc/passwd', '/etc/passwd'],
      ['/cards/x/../../admin/', '/admin/'],
      ['/.well-known/x', '/.well-known/x'],
      ['/cards/..x', '/cards/..x'],
      // encoded dot segments are decoded first, then removed
      ['/cards/%2e%2e/admin', '/admin'],
      ['/cards/%2E%2E/admin', '/admin'],
      ['/cards/.%2e/admin', '/admin'],
      ['/cards/%2e/1', '/cards/1'],
      // unreserved characters decoded, others keep upper-case hex
      ['/cards/%7e%41%5f', '/cards/~A_'],
      ['/cards/%3b%3A', '/cards/%3B%3A'],
      ['/cards/%25', '/cards/%25'],
      ['/cards/%252e%252e/admin', '/cards/%252e%252e/admin'],
      ['/cards/%e2%82%ac', '/cards/%E2%82%AC'],
      // characters not allowed raw are encoded the way the upstream will read them
      ['/cards/a|b', '/cards/a%7Cb'],
      ['/cards/"x"', '/cards/%22x%22'],
      ['/cards/{x}', '/cards/%7Bx%7D'],
      ['/cards/\u00e9', '/cards/%E9'],
      // sub-delims, ":" and "@" stay raw
      ["/cards/a:b@c!$&'()*+,;=", "/cards/a:b@c!$&'()*+,;="],
    ])('%s → %s', (input, expected) => {
      expect(normaliseTarget(input)).toEqual({
        ok: true,
        path: expected,
        search: '',
        semicolon: /;|%3B/i.test(input),
      });
    });

    it('keeps the query string exactly as sent and does not normalise it', () => {
      expect(normaliseTarget('//cards/../x?a=%2F&b=..//&c;d')).toEqual({
        ok: true,
        path: '/x',
        search: '?a=%2F&b=..//&c;d',
        semicolon: false,
      });
      expect(normaliseTarget('/cards?')).toEqual({
        ok: true,
        path: '/cards',
        search: '?',
        semicolon: false,
      });
    });

    it('reports ";" or %3B in the path (the rule decides), never in the query', () => {
      for (const input of ['/cards/1;jsessionid=x', '/cards;a/1', '/cards/1%3bx', '//cards/1;x']) {
        expect(normaliseTarget(input)).toMatchObject({ ok: true, semicolon: true });
      }
      expect(normaliseTarget('/cards/1?a;b')).toMatchObject({ ok: true, semicolon: false });
    });

    it('returns the input itself when it is already normal (no allocation on the hot path)', () => {
      const input = '/cards/123/comments';
      const result = normaliseTarget(input);
      expect(result.ok && result.path).toBe(input);
    });
  });

  describe('refused (400)', () => {
    it.each([
      ['/cards%2Fx', /encoded slash/],
      ['/cards%2fx', /encoded slash/],
      ['/cards/%2F../admin', /encoded slash/],
      ['/cards\\x', /backslash/],
      ['/cards%5Cx', /encoded backslash/],
      ['/cards%5cx', /encoded backslash/],
      ['/cards/%00', /NUL/],
      ['/cards/%', /percent-encoding/],
      ['/cards/%4', /percent-encoding/],
      ['/cards/%zz', /percent-encoding/],
      ['/cards/%%32%65', /percent-encoding/],
      ['/cards/\u0001', /control/],
      ['/cards/ x', /control character or space/],
      ['/cards/\u007f', /control/],
      ['/cards#frag', /#/],
      // Tomcat/Spring read "..;x" as ".." after stripping path parameters
      ['/cards/..;/admin', /dot segment with parameters/],
      ['/cards/..;x=1/admin', /dot segment with parameters/],
      ['/cards/.;/admin', /dot segment with parameters/],
      ['/cards/..%3B/admin', /dot segment with parameters/],
      ['/cards/%2e%2e;/admin', /dot segment with parameters/],
      ['cards', /origin-form/],
      ['', /origin-form/],
      ['*', /origin-form/],
      ['http://evil.example/cards', /origin-form/],
      ['/cards/\u0100', /control/],
    ])('%j', (input, reason) => {
      const result = normaliseTarget(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    });
  });

  it('is idempotent: normalising a normal form changes nothing', () => {
    const inputs = ['//a/./b/../c/', '/cards/%2e%2e/x%7e%3b', '/x/a|b', '/.././a//b'];
    for (const input of inputs) {
      const once = normaliseTarget(input);
      if (!once.ok) throw new Error(`refused ${input}`);
      expect(normaliseTarget(once.path)).toEqual(once);
    }
  });
});
