import { compileComparison } from '../../../strangler-compare/index.js';
import { REDACTED, SecretRedactor } from './secret-redactor.js';

const redactor = new SecretRedactor({
  headers: ['X-Api-Key'],
  query: ['access_token', 'sig'],
  jsonPaths: ['$.password', '$..token', '$.cards[*].pan'],
});

const json = (value: unknown) => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(value)),
});

describe('SecretRedactor', () => {
  it('always redacts Authorization, Cookie, Set-Cookie and Proxy-Authorization', () => {
    expect(
      SecretRedactor.DEFAULT.headers({
        Authorization: 'Bearer abc',
        cookie: 'sid=1',
        'set-cookie': ['a=1', 'b=2'],
        'Proxy-Authorization': 'Basic x',
        accept: 'application/json',
      }),
    ).toEqual({
      Authorization: REDACTED,
      cookie: REDACTED,
      'set-cookie': REDACTED,
      'Proxy-Authorization': REDACTED,
      accept: 'application/json',
    });
  });

  it('redacts the declared headers in any case', () => {
    expect(redactor.headers({ 'x-api-key': 'k', 'x-other': 'v' })).toEqual({
      'x-api-key': REDACTED,
      'x-other': 'v',
    });
  });

  it('redacts declared query parameters, encoded or not, keeping the rest byte for byte', () => {
    expect(redactor.url('/cards?page=2&access_token=abc&sig=%2Fx&q=a%20b')).toBe(
      '/cards?page=2&access_token=[redacted]&sig=[redacted]&q=a%20b',
    );
    expect(redactor.url('/cards?access%5Ftoken=abc')).toBe('/cards?access%5Ftoken=[redacted]');
    expect(redactor.url('/cards')).toBe('/cards');
    expect(SecretRedactor.DEFAULT.url('/cards?access_token=abc')).toBe('/cards?access_token=abc');
  });

  it('redacts JSON paths at any depth and whole values under them', () => {
    const body = redactor.body(
      JSON.stringify({
        password: { old: 'a', new: 'b' },
        user: { token: 't1', name: 'n' },
        cards: [{ pan: '4111', id: 1 }],
      }),
      'application/json; charset=utf-8',
    );
    expect(JSON.parse(String(body))).toEqual({
      password: REDACTED,
      user: { token: REDACTED, name: 'n' },
      cards: [{ pan: REDACTED, id: 1 }],
    });
  });

  it('redacts secret fields of form-encoded bodies and leaves other bodies alone', () => {
    expect(redactor.body('sig=1&x=2', 'application/x-www-form-urlencoded')).toBe(
      'sig=[redacted]&x=2',
    );
    expect(redactor.body('{"password":', 'application/json')).toBe('{"password":');
    expect(redactor.body('password=1', 'text/plain')).toBe('password=1');
  });

  it('stores a comparison without a secret, compared on the real values', () => {
    const comparison = compileComparison({ headers: ['set-cookie', 'x-api-key'] });
    const primary = {
      ...json({ user: { token: 'secret-primary', name: 'a' }, password: 'p1' }),
      headers: { 'content-type': 'application/json', 'set-cookie': 'sid=primary' },
    };
    const candidate = {
      ...json({ user: { name: 'a' }, password: 'p2' }),
      headers: { 'content-type': 'application/json', 'set-cookie': 'sid=candidate' },
    };
    const result = comparison.compare(primary, candidate);
    expect(result.matches).toBe(false);
    const stored = redactor.comparisonRecord({
      route: { rule: 'r', method: 'GET', pathPattern: '/x' },
      request: {
        method: 'POST',
        url: '/x?access_token=secret-query',
        headers: { authorization: 'Bearer secret-auth', 'content-type': 'application/json' },
        body: Buffer.from('{"password":"secret-body"}'),
      },
      primary,
      candidate,
      result,
    });
    const text = JSON.stringify(stored, (_key, value: unknown) =>
      Buffer.isBuffer(value) ? value.toString('utf8') : value,
    );
    expect(text).not.toMatch(/secret-|sid=|p1|p2/);
    // the differences are still there, at their places
    expect(stored.result.differences.map((difference) => difference.path).sort()).toEqual([
      '$.password',
      '$.user.token',
      'headers.set-cookie',
    ]);
  });

  it('redacts inside a difference whose value holds a secret below it', () => {
    const comparison = compileComparison({});
    const result = comparison.compare(json({ user: { token: 'deep', name: 'a' } }), json({}));
    const redacted = redactor.result(result);
    expect(redacted.differences[0]).toMatchObject({ path: '$.user', kind: 'missing' });
    expect(JSON.parse(redacted.differences[0]?.primary ?? '')).toEqual({
      token: REDACTED,
      name: 'a',
    });
  });
});
