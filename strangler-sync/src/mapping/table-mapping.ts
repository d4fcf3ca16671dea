import type { TableInfo } from '../catalog/table-catalog.js';
import type { TableMappingDefinition } from '../pipeline-definition/pipeline-definition.schema.js';

/** One source table's mapping onto its target table, checked against both catalogs. */
export interface CompiledTableMapping {
  source: TableInfo;
  target: TableInfo;
  /** `schema.table` of the source (the key events are routed by). */
  sourceName: string;
  /** `schema.table` of the target (the key of the row-version bookkeeping). */
  targetName: string;
  /** Source primary key, in key order. */
  sourceKey: string[];
  /** Target primary key, in key order, and the source column each comes from. */
  targetKey: { target: string; source: string; targetType: string }[];
  /** Columns copied as they are (renamed or not). Includes the key columns. */
  copied: { source: string; target: string }[];
  /** Target columns computed by a SQL expression over source column names. */
  derived: { target: string; expression: string }[];
  /** SQL predicate over source column names a row must satisfy to exist in the target. */
  predicate: string | null;
}

export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * The SQL type a source value (sent as text) is cast to when an expression reads it: the source
 * type when it is built in (so `price * 2` works), text for user-defined types (enums) the other
 * database may not have.
 */
export function sourceCast(source: TableInfo, column: string): string {
  const found = source.columns.find((c) => c.name === column);
  return found?.builtin ? found.typeName : 'text';
}

/** Compiles a mapping; errors name the pipeline field (`tables.<table>.<field>`). */
export function compileTableMapping(
  sourceTable: string,
  definition: TableMappingDefinition,
  source: TableInfo,
  target: TableInfo,
): CompiledTableMapping {
  const field = (name: string) => `tables.${sourceTable}.${name}`;
  const fail = (name: string, message: string): never => {
    throw new MappingError(`${field(name)}: ${message}`);
  };
  const sourceColumns = new Set(source.columns.map((c) => c.name));
  const targetColumns = new Set(target.columns.map((c) => c.name));
  if (source.primaryKey.length === 0)
    fail('', `source table ${source.schema}.${source.table} has no primary key`);
  // Publishing a table without a usable replica identity would make the monolith's own UPDATEs
  // and DELETEs on it fail; an index identity would key events by other columns than the PK.
  if (source.replicaIdentity === 'n' || source.replicaIdentity === 'i')
    fail(
      '',
      `source table ${source.schema}.${source.table} has REPLICA IDENTITY ` +
        `${source.replicaIdentity === 'n' ? 'NOTHING' : 'USING INDEX'}: use DEFAULT (the primary key) or FULL`,
    );
  if (target.primaryKey.length === 0)
    fail('target', `target table ${target.schema}.${target.table} has no primary key`);

  for (const column of [...(definition.include ?? []), ...(definition.drop ?? [])])
    if (!sourceColumns.has(column))
      fail(
        definition.include?.includes(column) ? 'include' : 'drop',
        `no source column "${column}"`,
      );
  for (const column of Object.keys(definition.rename ?? {}))
    if (!sourceColumns.has(column)) fail(`rename.${column}`, `no source column "${column}"`);
  for (const column of Object.keys(definition.filter ?? {}))
    if (!sourceColumns.has(column)) fail(`filter.${column}`, `no source column "${column}"`);

  const kept = source.columns
    .map((c) => c.name)
    .filter((c) => (definition.include ? definition.include.includes(c) : true))
    .filter((c) => !(definition.drop ?? []).includes(c));
  for (const key of source.primaryKey)
    if (!kept.includes(key)) fail('drop', `primary key column "${key}" cannot be dropped`);

  const rename = definition.rename ?? {};
  const copied = kept.map((c) => ({ source: c, target: rename[c] ?? c }));
  const derived = Object.entries(definition.derived ?? {}).map(([target, expression]) => ({
    target,
    expression,
  }));
  const seen = new Set<string>();
  for (const column of [...copied.map((c) => c.target), ...derived.map((d) => d.target)]) {
    if (seen.has(column)) fail('rename', `two source columns map to target column "${column}"`);
    seen.add(column);
    if (!targetColumns.has(column))
      fail(
        derived.some((d) => d.target === column) ? `derived.${column}` : 'include',
        `target table ${target.schema}.${target.table} has no column "${column}" ` +
          '(drop the source column or rename it)',
      );
  }

  const sourceOf = new Map(copied.map((c) => [c.target, c.source]));
  const targetKey = target.primaryKey.map((column) => {
    const from = sourceOf.get(column);
    if (!from || !source.primaryKey.includes(from))
      fail('target', `target key column "${column}" must come from a source key column`);
    const type = target.columns.find((c) => c.name === column)?.typeName ?? 'text';
    return { target: column, source: from ?? column, targetType: type };
  });
  if (targetKey.length !== source.primaryKey.length)
    fail('target', 'the target primary key must be the (renamed) source primary key');

  return {
    source,
    target,
    sourceName: `${source.schema}.${source.table}`,
    targetName: `${target.schema}.${target.table}`,
    sourceKey: source.primaryKey,
    targetKey,
    copied,
    derived,
    predicate: compilePredicate(definition),
  };
}

/** `filter: { status: published, kind: [a, b], deleted_at: null }` and `where:` → one predicate. */
export function compilePredicate(definition: TableMappingDefinition): string | null {
  const parts: string[] = [];
  for (const [column, wanted] of Object.entries(definition.filter ?? {})) {
    const values = Array.isArray(wanted) ? wanted : [wanted];
    const nonNull = values.filter((v) => v !== null).map((v) => quoteLiteral(String(v)));
    const terms: string[] = [];
    if (values.includes(null)) terms.push(`${quoteIdent(column)} IS NULL`);
    if (nonNull.length === 1) terms.push(`${quoteIdent(column)}::text = ${nonNull[0]}`);
    if (nonNull.length > 1) terms.push(`${quoteIdent(column)}::text IN (${nonNull.join(', ')})`);
    parts.push(terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`);
  }
  if (definition.where) parts.push(`(${definition.where})`);
  return parts.length > 0 ? parts.join(' AND ') : null;
}
