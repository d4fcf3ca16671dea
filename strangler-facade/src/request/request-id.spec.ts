import { isWellFormedRequestId, requestIdFor } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request id', () => {
  it.each(['abc', 'A-b_c.9', 'x'.repeat(128), '0f7c2b2e-1d7a-4f55-9c1b-2f0e6a4f3b21'])(
    'keeps %s',
    (id) => {
      expect(requestIdFor(id)).toBe(id);
    },
  );

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['spaces', 'a b'],
    ['a header injection attempt', 'a\r\nx-evil: 1'],
    ['a comma-joined duplicate', 'a, b'],
    ['unicode', 'é'],
  ])('replaces %s with a new UUID', (_label, id) => {
    expect(requestIdFor(id)).toMatch(UUID);
  });

  it('mints a UUID when none or several were sent', () => {
    expect(requestIdFor(undefined)).toMatch(UUID);
    expect(requestIdFor(['a', 'b'])).toMatch(UUID);
    expect(requestIdFor(undefined)).not.toBe(requestIdFor(undefined));
    expect(isWellFormedRequestId(42)).toBe(false);
  });
});
