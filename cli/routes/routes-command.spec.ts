import { InvalidArgumentError } from 'commander';

import { parsePercent } from './routes-command.js';

describe('parsePercent', () => {
  it.each([
    ['10', 10],
    ['2.5', 2.5],
    ['0', 0],
    ['100%', 100],
  ])('%s → %d', (text, value) => {
    expect(parsePercent(text)).toBe(value);
  });

  it.each(['', '-1', '100.1', 'ten', 'NaN'])('refuses %j', (text) => {
    expect(() => parsePercent(text)).toThrow(InvalidArgumentError);
  });
});
