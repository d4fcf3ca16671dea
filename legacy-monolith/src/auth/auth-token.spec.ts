import { createHmac } from 'node:crypto';
import { bearerToken, signAuthToken, verifyAuthToken } from './auth-token.js';

describe('auth token', () => {
  const userId = '8f0c2b4e-7a51-4c8e-9d2a-1b3c4d5e6f70';
  const secret = 'strangler-example-secret';

  it('is <userId>.<hex HMAC-SHA256(secret, userId)>', () => {
    const hmac = createHmac('sha256', secret).update(userId).digest('hex');
    expect(signAuthToken(userId, secret)).toBe(`${userId}.${hmac}`);
  });

  it('verifies back to the user id', () => {
    expect(verifyAuthToken(signAuthToken(userId, secret), secret)).toBe(userId);
  });

  it('rejects another secret, a tampered id, a truncated signature and junk', () => {
    const token = signAuthToken(userId, secret);
    expect(verifyAuthToken(token, 'another-secret')).toBeNull();
    expect(verifyAuthToken(token.replace('8f0c', '9f0c'), secret)).toBeNull();
    expect(verifyAuthToken(token.slice(0, -2), secret)).toBeNull();
    expect(verifyAuthToken('no-dot-here', secret)).toBeNull();
    expect(verifyAuthToken('.abc', secret)).toBeNull();
    expect(verifyAuthToken('', secret)).toBeNull();
  });

  it('reads bearer headers', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc.def')).toBe('abc.def');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
  });
});
