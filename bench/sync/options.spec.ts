import { parseRates, parseShapes } from './options.js';

describe('parseRates', () => {
  it('reads comma-separated positive rates', () => {
    expect(parseRates('500, 2000', '--kafka-rates')).toEqual([500, 2000]);
  });

  it('names the option and the value it refuses', () => {
    expect(() => parseRates('500,fast', '--kafka-rates')).toThrow(
      '--kafka-rates: expected comma-separated positive changes/s such as 500,2000, got "500,fast"',
    );
    expect(() => parseRates('0', '--rates')).toThrow(/--rates/);
    expect(() => parseRates('', '--rates')).toThrow(/--rates/);
  });
});

describe('parseShapes', () => {
  it('accepts small and wide', () => {
    expect(parseShapes('small,wide')).toEqual(['small', 'wide']);
  });

  it('refuses other shapes by name', () => {
    expect(() => parseShapes('small,huge')).toThrow(
      '--shapes: expected small and/or wide, got "huge"',
    );
  });
});
