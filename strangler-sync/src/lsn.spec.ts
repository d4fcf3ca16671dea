import { bigIntToLsn, compareLsn, lsnToBigInt, maxLsn, normaliseLsn } from './lsn.js';

describe('lsn', () => {
  it('round-trips and compares', () => {
    expect(lsnToBigInt('1/10')).toBe((1n << 32n) + 16n);
    expect(bigIntToLsn((2n << 32n) + 255n)).toBe('2/FF');
    expect(compareLsn('0/FF', '1/0')).toBe(-1);
    expect(compareLsn('0/0A', '0/a')).toBe(0);
    expect(maxLsn('0/5', null, '0/10', undefined)).toBe('0/10');
    expect(normaliseLsn('00/000A')).toBe('0/A');
    expect(() => lsnToBigInt('nope')).toThrow();
  });
});
