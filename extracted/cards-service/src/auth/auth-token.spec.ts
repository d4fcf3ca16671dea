import { createHmac } from 'node:crypto';
import { bearerTokenOf, signAuthToken, verifyAuthToken } from './auth-token.js';

describe('auth tokens', () => {
  const secret = 'strangler-example-secret';
  const userId = '2b0a3c1e-8f1d-4a52-9a0e-5d3c1b7e9f10';

  it('signs as <userId>.<hex HMAC-SHA256(secret, userId)>', () => {
    const hmac = createHmac('sha256', secret).update(userId).digest('hex');
    expect(signAuthToken(userId, secret)).toBe(`${userId}.${hmac}`);
  });

  it('verifies its own tokens', () => {
    expect(verifyAuthToken(signAuthToken(userId, secret), secret)).toBe(userId);
  });

  it.each([
    ['another secret', signAuthToken(userId, 'other-secret')],
    ['no signature', userId],
    ['empty signature', `${userId}.`],
    ['truncated signature', signAuthToken(userId, secret).slice(0, -2)],
    ['tampered user', signAuthToken(userId, secret).replace(/^2b/, '3b')],
    ['not a uuid', signAuthToken('alice', secret)],
    ['empty', ''],
  ])('rejects %s', (_case, token) => {
    expect(verifyAuthToken(token, secret)).toBeUndefined();
  });

  it('reads the token out of a Bearer header', () => {
    expect(bearerTokenOf('Bearer abc.def')).toBe('abc.def');
    expect(bearerTokenOf('Basic abc')).toBeUndefined();
    expect(bearerTokenOf('Bearer ')).toBeUndefined();
    expect(bearerTokenOf(undefined)).toBeUndefined();
  });
});
