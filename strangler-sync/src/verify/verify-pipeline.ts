import pg from 'pg';
import { qualified, quoteIdent, type CompiledTableMapping } from '../mapping/table-mapping.js';
import type { PipelineDefinition } from '../pipeline-definition/pipeline-definition.schema.js';
import {
  compileMappings,
  connect,
  resolveUrls,
  type PipelineUrls,
} from '../pipeline/pipeline-connections.js';

export interface RowDifference {
  /** Target primary key, column → text value. */
  key: Record<string, string>;
  kind: 'missing in target' | 'not in source' | 'different';
  /** Mapped row (target column → text) as the source says and as the target has it. */
  source?: Record<string, string | null>;
  target?: Record<string, string | null>;
  /** For `different`: the columns that differ. */
  columns?: string[];
}

export interface TableVerification {
  source: string;
  target: string;
  sourceRows: number;
  targetRows: number;
  chunks: number;
  differingChunks: number;
  differences: RowDifference[];
  /** More differences exist than were listed. */
  truncated: boolean;
}

export interface VerifyReport {
  pipeline: string;
  identical: boolean;
  tables: TableVerification[];
}

export interface VerifyOptions extends PipelineUrls {
  /** Rows per checksum chunk (default 1000). */
  chunkSize?: number;
  /** Differences listed per table at most (default 50). */
  maxDifferences?: number;
  /** Only these source tables. */
  tables?: string[];
}

/**
 * Compares source and target under the pipeline's mapping: both sides are cut into the same
 * primary-key ranges (boundaries taken from the source every `chunkSize` keys), each range is
 * summarised as a row count and the md5 of its mapped rows in key order, and only ranges whose
 * summaries differ are read row by row to name the differing keys and columns.
 *
 * Values are compared in PostgreSQL text form with both sessions in UTC, so a source enum and a
 * target text, or int4 and int8, compare equal when they hold the same value.
 */
export async function verifyPipeline(
  definition: PipelineDefinition,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const { sourceUrl, targetUrl } = resolveUrls(definition, options);
  const source = await connect(sourceUrl);
  const target = await connect(targetUrl);
  try {
    const mappings = (await compileMappings(definition, source, target)).filter(
      (m) => !options.tables || options.tables.includes(m.source.table),
    );
    const tables: TableVerification[] = [];
    for (const mapping of mappings)
      tables.push(
        await verifyTable(
          mapping,
          source,
          target,
          options.chunkSize ?? 1000,
          options.maxDifferences ?? 50,
        ),
      );
    return {
      pipeline: definition.name,
      identical: tables.every((t) => t.differences.length === 0 && t.sourceRows === t.targetRows),
      tables,
    };
  } finally {
    await source.end();
    await target.end();
  }
}

interface Side {
  client: pg.ClientBase;
  table: string;
  /** Key columns (this side's names) and their SQL types. */
  key: { column: string; type: string }[];
  /** Mapped columns in target-column order: SQL expression on this side, target name. */
  values: { expression: string; name: string }[];
  where: string | null;
}

function sides(mapping: CompiledTableMapping, source: pg.ClientBase, target: pg.ClientBase) {
  const columns = [
    ...mapping.copied.map((c) => ({
      name: c.target,
      sourceExpression: quoteIdent(c.source),
    })),
    ...mapping.derived.map((d) => ({ name: d.target, sourceExpression: `(${d.expression})` })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const typeIn = (info: CompiledTableMapping['source'], column: string) =>
    info.columns.find((c) => c.name === column)?.typeName ?? 'text';
  const sourceSide: Side = {
    client: source,
    table: qualified(mapping.source.schema, mapping.source.table),
    key: mapping.targetKey.map((k) => ({
      column: k.source,
      type: typeIn(mapping.source, k.source),
    })),
    values: columns.map((c) => ({ expression: `(${c.sourceExpression})::text`, name: c.name })),
    where: mapping.predicate,
  };
  const targetSide: Side = {
    client: target,
    table: qualified(mapping.target.schema, mapping.target.table),
    key: mapping.targetKey.map((k) => ({ column: k.target, type: k.targetType })),
    values: columns.map((c) => ({ expression: `${quoteIdent(c.name)}::text`, name: c.name })),
    where: null,
  };
  return { sourceSide, targetSide, columnNames: columns.map((c) => c.name) };
}

/** WHERE clause for keys in (lower, upper]; either bound may be open. */
function rangeClause(side: Side, lower: string[] | null, upper: string[] | null) {
  const keyTuple = `(${side.key.map((k) => quoteIdent(k.column)).join(', ')})`;
  const params: string[] = [];
  const parts: string[] = [];
  const bind = (values: string[]) => {
    const placeholders = side.key.map((k, i) => `$${params.length + i + 1}::${k.type}`);
    params.push(...values);
    return `(${placeholders.join(', ')})`;
  };
  if (lower) parts.push(`${keyTuple} > ${bind(lower)}`);
  if (upper) parts.push(`${keyTuple} <= ${bind(upper)}`);
  if (side.where) parts.push(`(${side.where})`);
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

async function summarise(side: Side, lower: string[] | null, upper: string[] | null) {
  const range = rangeClause(side, lower, upper);
  const order = side.key.map((k) => quoteIdent(k.column)).join(', ');
  const rowText = `jsonb_build_array(${side.values.map((v) => v.expression).join(', ')})::text`;
  const result = await side.client.query<{ n: string; digest: string | null }>(
    `SELECT count(*)::text AS n, md5(string_agg(${rowText}, E'\\n' ORDER BY ${order})) AS digest
       FROM ${side.table} ${range.sql}`,
    range.params,
  );
  return { rows: Number(result.rows[0]?.n ?? 0), digest: result.rows[0]?.digest ?? null };
}

async function readRows(side: Side, lower: string[] | null, upper: string[] | null) {
  const range = rangeClause(side, lower, upper);
  const keys = side.key.map((k, i) => `${quoteIdent(k.column)}::text AS k${i}`).join(', ');
  const values = side.values.map((v, i) => `${v.expression} AS v${i}`).join(', ');
  const order = side.key.map((k) => quoteIdent(k.column)).join(', ');
  const result = await side.client.query<Record<string, string | null>>(
    `SELECT ${keys}, ${values} FROM ${side.table} ${range.sql} ORDER BY ${order}`,
    range.params,
  );
  const rows = new Map<string, Record<string, string | null>>();
  for (const row of result.rows) {
    const key = JSON.stringify(side.key.map((_, i) => row[`k${i}`]));
    const mapped: Record<string, string | null> = {};
    side.values.forEach((v, i) => (mapped[v.name] = row[`v${i}`] ?? null));
    rows.set(key, mapped);
  }
  return rows;
}

async function verifyTable(
  mapping: CompiledTableMapping,
  source: pg.ClientBase,
  target: pg.ClientBase,
  chunkSize: number,
  maxDifferences: number,
): Promise<TableVerification> {
  const { sourceSide, targetSide, columnNames } = sides(mapping, source, target);
  // Chunk boundaries: every chunkSize-th source key (the last range is open-ended).
  const keyList = sourceSide.key.map((k) => quoteIdent(k.column)).join(', ');
  const keyText = sourceSide.key.map((k, i) => `${quoteIdent(k.column)}::text AS k${i}`).join(', ');
  const boundaries = await source.query<Record<string, string>>(
    `SELECT ${sourceSide.key.map((_, i) => `k${i}`).join(', ')} FROM (
       SELECT ${keyText}, row_number() OVER (ORDER BY ${keyList}) AS rn
         FROM ${sourceSide.table} ${sourceSide.where ? `WHERE ${sourceSide.where}` : ''}) numbered
      WHERE rn % ${chunkSize} = 0 ORDER BY rn`,
  );
  const bounds = boundaries.rows.map((row) => sourceSide.key.map((_, i) => row[`k${i}`] ?? ''));
  const ranges: [string[] | null, string[] | null][] = [];
  let lower: string[] | null = null;
  for (const upper of bounds) {
    ranges.push([lower, upper]);
    lower = upper;
  }
  ranges.push([lower, null]);

  const report: TableVerification = {
    source: mapping.sourceName,
    target: mapping.targetName,
    sourceRows: 0,
    targetRows: 0,
    chunks: ranges.length,
    differingChunks: 0,
    differences: [],
    truncated: false,
  };
  const keyNames = mapping.targetKey.map((k) => k.target);
  const keyOf = (json: string) => {
    const values = JSON.parse(json) as string[];
    return Object.fromEntries(keyNames.map((name, i) => [name, values[i] ?? '']));
  };
  for (const [from, to] of ranges) {
    const [s, t] = await Promise.all([
      summarise(sourceSide, from, to),
      summarise(targetSide, from, to),
    ]);
    report.sourceRows += s.rows;
    report.targetRows += t.rows;
    if (s.rows === t.rows && s.digest === t.digest) continue;
    report.differingChunks += 1;
    const [sourceRows, targetRows] = await Promise.all([
      readRows(sourceSide, from, to),
      readRows(targetSide, from, to),
    ]);
    const add = (difference: RowDifference) => {
      if (report.differences.length < maxDifferences) report.differences.push(difference);
      else report.truncated = true;
    };
    for (const [key, row] of sourceRows) {
      const other = targetRows.get(key);
      if (!other) add({ key: keyOf(key), kind: 'missing in target', source: row });
      else {
        const columns = columnNames.filter((c) => row[c] !== other[c]);
        if (columns.length > 0)
          add({ key: keyOf(key), kind: 'different', source: row, target: other, columns });
      }
    }
    for (const [key, row] of targetRows)
      if (!sourceRows.has(key)) add({ key: keyOf(key), kind: 'not in source', target: row });
  }
  return report;
}

/** A report as lines for the terminal. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [`pipeline ${report.pipeline}: ${report.identical ? 'IDENTICAL' : 'DIFFERENT'}`];
  for (const table of report.tables) {
    const same = table.differences.length === 0 && table.sourceRows === table.targetRows;
    lines.push(
      `  ${table.source} -> ${table.target}: ${same ? 'identical' : 'different'} ` +
        `(source ${table.sourceRows} rows, target ${table.targetRows} rows, ` +
        `${table.differingChunks}/${table.chunks} chunks differ)`,
    );
    for (const difference of table.differences) {
      const key = Object.entries(difference.key)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      if (difference.kind === 'different') {
        const columns = (difference.columns ?? [])
          .map(
            (c) =>
              `${c}: source ${JSON.stringify(difference.source?.[c])} target ${JSON.stringify(difference.target?.[c])}`,
          )
          .join('; ');
        lines.push(`    [${key}] different: ${columns}`);
      } else lines.push(`    [${key}] ${difference.kind}`);
    }
    if (table.truncated) lines.push('    ... more differences not listed');
  }
  return lines.join('\n');
}
