import { parseDocument } from 'yaml';
import { z } from 'zod';

import {
  formatFieldPath,
  formatYamlProblem,
  locateOffset,
  parseValidatedYaml,
} from './validated-yaml.js';

const schema = z.strictObject({
  name: z.string(),
  tables: z.record(
    z.string(),
    z.strictObject({ drop: z.array(z.string().regex(/^\w+$/, 'must be a column name')) }),
  ),
});

function errorsOf(text: string, options = {}): string[] {
  const result = parseValidatedYaml(text, 'demo.yaml', schema, options);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('parseValidatedYaml', () => {
  it('returns the validated value and where each field is written', () => {
    const result = parseValidatedYaml(
      'name: x\ntables:\n  cards:\n    drop: [a, b]\n',
      'demo.yaml',
      schema,
    );
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.value).toEqual({ name: 'x', tables: { cards: { drop: ['a', 'b'] } } });
    expect(result.locate(['tables', 'cards', 'drop', 1])).toEqual({ line: 4, column: 15 });
    expect(result.locate(['tables', 'cards'])).toEqual({ line: 3, column: 3 });
  });

  it('names file, line, column and field path; items at the item, entries at the key', () => {
    expect(errorsOf('name: x\ntables:\n  cards:\n    drop: [a, "b c"]\n')).toEqual([
      'demo.yaml:4:15 tables.cards.drop[1]: must be a column name',
    ]);
    expect(errorsOf('name: 1\ntables: {}\n')).toEqual([
      'demo.yaml:1:1 name: Invalid input: expected string, received number',
    ]);
  });

  it('can point at the value of a map entry instead', () => {
    expect(errorsOf('name: 1\ntables: {}\n', { pointAt: 'value' })).toEqual([
      'demo.yaml:1:7 name: Invalid input: expected string, received number',
    ]);
  });

  it('places a missing field at its nearest existing ancestor', () => {
    expect(errorsOf('name: x\ntables:\n  cards: {}\n')).toEqual([
      'demo.yaml:3:3 tables.cards.drop: required (expected array)',
    ]);
  });

  it('reports every unknown key at the key, even when pointing at values', () => {
    expect(errorsOf('name: x\ntables: {}\nslotz: 1\nextra: 2\n', { pointAt: 'value' })).toEqual([
      'demo.yaml:3:1 slotz: Unrecognized key: "slotz"',
      'demo.yaml:4:1 extra: Unrecognized key: "extra"',
    ]);
  });

  it('sorts problems by position and calls the whole file (root)', () => {
    expect(errorsOf('tables:\n  t:\n    drop: ["x y"]\nname: 2\n')).toEqual([
      'demo.yaml:3:12 tables.t.drop[0]: must be a column name',
      'demo.yaml:4:1 name: Invalid input: expected string, received number',
    ]);
    expect(errorsOf('- a\n')[0]).toMatch(/^demo\.yaml:1:1 \(root\): /);
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    expect(errorsOf('name: [\n')[0]).toMatch(/^demo\.yaml:\d+:\d+ YAML syntax: /);
    expect(errorsOf('name: x\nname: y\ntables: {}\n')).toEqual([
      expect.stringMatching(/^demo\.yaml:2:1 YAML syntax: Map keys must be unique/),
    ]);
  });

  it('refuses a blank file with the given message, else validates it', () => {
    expect(errorsOf(' \n', { emptyMessage: 'file is empty' })).toEqual([
      'demo.yaml:1:1 file is empty',
    ]);
    expect(errorsOf('')[0]).toMatch(/^demo\.yaml:1:1 \(root\): /);
  });

  it('returns structured problems too', () => {
    const result = parseValidatedYaml('name: 1\ntables: {}\n', 'demo.yaml', schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { kind: 'field', line: 1, column: 1, field: 'name', message: expect.any(String) },
    ]);
    expect(formatYamlProblem('demo.yaml', result.problems[0])).toBe(result.errors[0]);
  });
});

describe('formatFieldPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatFieldPath(['rules', 2, 'upstream'])).toBe('rules[2].upstream');
    expect(formatFieldPath(['tables', 'cards', 'drop', 0])).toBe('tables.cards.drop[0]');
    expect(formatFieldPath([])).toBe('');
  });
});

describe('locateOffset', () => {
  it('falls back to the document start when nothing on the path exists', () => {
    const document = parseDocument('a: 1\n');
    expect(locateOffset(document, ['b', 'c'])).toBe(0);
  });
});
