import type { TableInfo } from '../catalog/table-catalog.js';
import { compilePredicate, compileTableMapping } from './table-mapping.js';

const column = (name: string, typeName = 'text') => ({
  name,
  typeOid: 25,
  typeName,
  builtin: true,
  notNull: false,
});
const table = (name: string, columns: string[], primaryKey: string[]): TableInfo => ({
  schema: 'public',
  table: name,
  columns: columns.map((c) => column(c)),
  primaryKey,
  replicaIdentity: 'd',
});

describe('table mapping', () => {
  const users = table('users', ['id', 'handle', 'display_name', 'email', 'banned_at'], ['id']);
  const authors = table('authors', ['id', 'handle', 'display_name', 'banned_at'], ['id']);

  it('keeps included columns and maps the key', () => {
    const mapping = compileTableMapping(
      'users',
      { include: ['id', 'handle', 'display_name', 'banned_at'] },
      users,
      authors,
    );
    expect(mapping.copied.map((c) => c.target)).toEqual([
      'id',
      'handle',
      'display_name',
      'banned_at',
    ]);
    expect(mapping.targetKey).toEqual([{ target: 'id', source: 'id', targetType: 'text' }]);
    expect(mapping.predicate).toBeNull();
  });

  it('names the field when a column has nowhere to go', () => {
    expect(() => compileTableMapping('users', {}, users, authors)).toThrow(
      /tables\.users\.include: target table public\.authors has no column "email"/,
    );
    expect(() => compileTableMapping('users', { drop: ['id', 'email'] }, users, authors)).toThrow(
      /primary key column "id" cannot be dropped/,
    );
    expect(() => compileTableMapping('users', { rename: { nope: 'x' } }, users, authors)).toThrow(
      /tables\.users\.rename\.nope/,
    );
  });

  it('refuses a source table whose replica identity cannot key its events', () => {
    expect(() =>
      compileTableMapping(
        'users',
        { include: ['id', 'handle'] },
        { ...users, replicaIdentity: 'n' },
        authors,
      ),
    ).toThrow(/REPLICA IDENTITY NOTHING/);
  });

  it('compiles filters into one SQL predicate', () => {
    expect(
      compilePredicate({
        filter: { status: 'published', kind: ['a', "b'c"], gone: null },
        where: 'x > 1',
      }),
    ).toBe(
      `"status"::text = 'published' AND "kind"::text IN ('a', 'b''c') AND "gone" IS NULL AND (x > 1)`,
    );
  });
});
