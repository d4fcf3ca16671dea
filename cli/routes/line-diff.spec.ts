import { lineDiff, renderLineDiff } from './line-diff.js';

describe('lineDiff', () => {
  it('no change, no hunks', () => {
    expect(lineDiff('a\nb\n', 'a\nb\n')).toEqual([]);
  });

  it('a changed line', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\n')).toEqual([
      { oldLine: 2, newLine: 2, removed: ['b'], added: ['B'] },
    ]);
  });

  it('an insertion and a removal far apart are two hunks', () => {
    const before = 'a\nb\nc\nd\ne\n';
    const after = 'a\nx\nb\nc\nd\n';
    expect(lineDiff(before, after)).toEqual([
      { oldLine: 2, newLine: 2, removed: [], added: ['x'] },
      { oldLine: 5, newLine: 6, removed: ['e'], added: [] },
    ]);
  });

  it('CRLF and a missing final newline compare by line', () => {
    expect(lineDiff('a\r\nb\r\n', 'a\nb')).toEqual([]);
  });

  it('renders file:line, then - and + lines (the new line number for pure additions)', () => {
    const text = renderLineDiff(lineDiff('a\nb\n', 'a\nb\nc\nd\n'), 'routes.yaml');
    expect(text).toBe('routes.yaml:3\n+ c\n+ d\n');
    expect(renderLineDiff([], 'routes.yaml')).toBe('');
  });
});
