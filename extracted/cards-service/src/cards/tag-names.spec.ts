import { normaliseTagName, normaliseTagNames, sortTagNames } from './tag-names.js';

describe('tag names', () => {
  it('trims, lower-cases, collapses duplicates and sorts', () => {
    expect(normaliseTagNames([' TypeScript', 'nest', 'typescript ', 'Nest', 'api'])).toEqual([
      'api',
      'nest',
      'typescript',
    ]);
  });

  it('drops tags that are empty once trimmed', () => {
    expect(normaliseTagNames(['  ', 'a'])).toEqual(['a']);
  });

  it('keeps an empty list empty', () => {
    expect(normaliseTagNames([])).toEqual([]);
  });

  it('normalises a filter value the same way', () => {
    expect(normaliseTagName('  NestJS ')).toBe('nestjs');
  });

  it('sorts by code unit, not by locale', () => {
    expect(sortTagNames(['b', 'a-b', 'a', 'ä', 'a2'])).toEqual(['a', 'a-b', 'a2', 'b', 'ä']);
  });
});
