import { RequestFacts } from '../request/request-facts.js';
import type { CompiledCanary } from '../rules/compile-rules.js';
import { compileRules } from '../rules/compile-rules.js';
import { loadRules } from '../rules/load-rules.js';
import { bearerTokenUser, bearerUser, BUCKETS, stickyBucket, stickyKey } from './sticky-bucket.js';

const KEYS = Array.from({ length: 20_000 }, (_, index) => `user-${index}`);

describe('stickyBucket', () => {
  it('is deterministic and within [0, 10000)', () => {
    for (const key of KEYS.slice(0, 100)) {
      const bucket = stickyBucket('cards-get-by-id', key);
      expect(bucket).toBe(stickyBucket('cards-get-by-id', key));
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(BUCKETS);
    }
  });

  it.each([1, 5, 10, 25, 50, 90])(
    'sends %d%% of 20k keys to the canary within ±1.5 points',
    (percent) => {
      const canary = KEYS.filter((key) => stickyBucket('cards-get-by-id', key) < percent * 100);
      expect(Math.abs((canary.length / KEYS.length) * 100 - percent)).toBeLessThanOrEqual(1.5);
    },
  );

  it('keeps every canary key of 5% on the canary at 10% (and at every later step)', () => {
    const at = (percent: number): Set<string> =>
      new Set(KEYS.filter((key) => stickyBucket('rule-a', key) < percent * 100));
    const steps = [1, 5, 10, 25, 50, 100].map(at);
    for (let index = 1; index < steps.length; index += 1) {
      for (const key of steps[index - 1]) expect(steps[index].has(key)).toBe(true);
    }
    expect(steps[5].size).toBe(KEYS.length);
  });

  it('splits independently per rule (the same user is not always first everywhere)', () => {
    const a = KEYS.filter((key) => stickyBucket('rule-a', key) < 1000);
    const b = new Set(KEYS.filter((key) => stickyBucket('rule-b', key) < 1000));
    const both = a.filter((key) => b.has(key)).length;
    expect(both / a.length).toBeLessThan(0.2); // independent: about 10%
  });
});

describe('stickyKey', () => {
  const canary = (
    stickyKind: CompiledCanary['stickyKind'],
    stickyName = '',
    stickyPattern: RegExp | null = null,
  ): CompiledCanary => ({ stickyKind, stickyName, stickyPattern }) as CompiledCanary;
  const jwt = (payload: object): string =>
    `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
  const facts = (headers: Record<string, string>) =>
    new RequestFacts(headers, '', false, '10.1.1.1');

  it('reads a header, a cookie, the bearer sub, else the client address', () => {
    expect(stickyKey(canary('header', 'x-user-id'), facts({ 'x-user-id': '42' }))).toBe('42');
    expect(stickyKey(canary('header', 'x-user-id'), facts({}))).toBe('10.1.1.1');
    expect(stickyKey(canary('cookie', 'sid'), facts({ cookie: 'sid=abc' }))).toBe('abc');
    expect(
      stickyKey(canary('bearerUser'), facts({ authorization: `Bearer ${jwt({ sub: 'u1' })}` })),
    ).toBe('sub:u1');
    expect(stickyKey(canary('bearerUser'), facts({ authorization: 'Bearer opaque' }))).toBe(
      '10.1.1.1',
    );
    expect(stickyKey(canary('clientAddress'), facts({ 'x-user-id': '1' }))).toBe('10.1.1.1');
  });

  it('ignores tokens that are not JWTs with a sub', () => {
    expect(bearerUser({ authorization: `Basic ${jwt({ sub: 'x' })}` })).toBeUndefined();
    expect(bearerUser({ authorization: 'Bearer a.!!!.c' })).toBeUndefined();
    expect(bearerUser({ authorization: `Bearer ${jwt({ sub: { x: 1 } })}` })).toBeUndefined();
    expect(bearerUser({ authorization: `bearer ${jwt({ sub: 7 })}` })).toBe('sub:7');
  });
});

describe("bearerToken sticky keys (opaque tokens such as the example's <user id>.<hmac>)", () => {
  const facts = (authorization?: string) =>
    new RequestFacts(authorization ? { authorization } : {}, '', false, '10.1.1.1');
  const userPart = /^(.+)\./;

  it('takes the first capture group, else the whole match, else nothing', () => {
    expect(bearerTokenUser({ authorization: 'Bearer u-42.abc123' }, userPart)).toBe('u-42');
    expect(bearerTokenUser({ authorization: 'bearer a.b.sig' }, userPart)).toBe('a.b');
    expect(bearerTokenUser({ authorization: 'Bearer u-42.abc' }, /^u-\d+/)).toBe('u-42');
    expect(bearerTokenUser({ authorization: 'Bearer nodot' }, userPart)).toBeUndefined();
    expect(bearerTokenUser({ authorization: 'Basic u-42.abc' }, userPart)).toBeUndefined();
    expect(bearerTokenUser({}, userPart)).toBeUndefined();
  });

  it('gives every signature of one user the same key, and a request without a token its address', () => {
    const sticky = {
      stickyKind: 'bearerToken',
      stickyName: '',
      stickyPattern: userPart,
    } as CompiledCanary;
    expect(stickyKey(sticky, facts('Bearer 7.aaaa'))).toBe(
      stickyKey(sticky, facts('Bearer 7.bbbb')),
    );
    expect(stickyKey(sticky, facts('Bearer 7.aaaa'))).toBe('7');
    expect(stickyKey(sticky, facts())).toBe('10.1.1.1');
  });

  it("settings.stickyBy is the key of every canary that names none; a rule's own stickyBy wins", () => {
    const loaded = loadRules(
      [
        'version: 1',
        'settings:',
        "  stickyBy: { bearerToken: { regex: '^(.+)\\.' } }",
        'upstreams: { a: { url: "http://127.0.0.1:1" }, b: { url: "http://127.0.0.1:2" } }',
        'rules:',
        '  - { name: one, match: { prefix: /one }, upstream: a, canary: { upstream: b, percent: 10 } }',
        '  - name: two',
        '    match: { prefix: /two }',
        '    upstream: a',
        '    canary: { upstream: b, percent: 10, stickyBy: { header: X-User-Id } }',
        'default: { upstream: a }',
      ].join('\n'),
      'routes.yaml',
    );
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const compiled = compileRules(loaded.config);
    if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
    const [one, two] = compiled.table.rules;
    expect(one?.canary).toMatchObject({ stickyKind: 'bearerToken', stickyName: '' });
    expect(one?.canary?.stickyPattern?.source).toBe('^(.+)\\.');
    expect(two?.canary).toMatchObject({ stickyKind: 'header', stickyName: 'x-user-id' });
  });

  it('refuses an invalid regular expression with its place in the file', () => {
    const loaded = loadRules(
      [
        'version: 1',
        'settings: { stickyBy: { bearerToken: { regex: "(" } } }',
        'upstreams: { a: { url: "http://127.0.0.1:1" } }',
        'default: { upstream: a }',
      ].join('\n'),
      'routes.yaml',
    );
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) {
      expect(loaded.errors.join('\n')).toMatch(
        /routes\.yaml:2:\d+ settings\.stickyBy\.bearerToken\.regex: invalid regular expression/,
      );
    }
  });
});
