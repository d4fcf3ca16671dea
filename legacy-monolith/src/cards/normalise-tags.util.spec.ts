import { normaliseTag, normaliseTags } from './normalise-tags.util.js';

describe('normaliseTags', () => {
  it('trims, lower-cases and collapses duplicates, keeping first-seen order', () => {
    expect(normaliseTags([' Nest ', 'nest', 'TypeORM', 'postgres', 'NEST'])).toEqual([
      'nest',
      'typeorm',
      'postgres',
    ]);
  });

  it('drops tags that are only whitespace', () => {
    expect(normaliseTags(['  ', 'a'])).toEqual(['a']);
  });

  it('normalises a filter tag the same way', () => {
    expect(normaliseTag('  TypeScript ')).toBe('typescript');
  });
});
