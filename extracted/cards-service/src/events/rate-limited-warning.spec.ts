import { RateLimitedWarning } from './rate-limited-warning.js';

describe('RateLimitedWarning', () => {
  it('logs once per interval and counts what it suppressed', () => {
    const lines: string[] = [];
    let now = 1_000;
    const warning = new RateLimitedWarning(
      (line) => lines.push(line),
      100,
      () => now,
    );

    warning.warn('down');
    warning.warn('down');
    now += 50;
    warning.warn('down');
    expect(lines).toEqual(['down']);

    now += 50;
    warning.warn('still down');
    expect(lines).toEqual(['down', 'still down (2 similar warnings suppressed)']);

    now += 100;
    warning.warn('again');
    expect(lines[2]).toBe('again');
  });
});
