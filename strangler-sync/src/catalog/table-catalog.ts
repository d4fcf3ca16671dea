import pg from 'pg';

/** A column as the PostgreSQL catalog describes it. */
export interface TableColumn {
  name: string;
  typeOid: number;
  /** `format_type()`: e.g. `timestamp with time zone`, `character varying(200)`, `text[]`. */
  typeName: string;
  /** Declared in pg_catalog, so the same type exists in any other database. */
  builtin: boolean;
  notNull: boolean;
}

export interface TableInfo {
  schema: string;
  table: string;
  columns: TableColumn[];
  /** Primary key columns in key order (empty when the table has none). */
  primaryKey: string[];
  /** pg_class.relreplident: d(efault), f(ull), i(ndex), n(othing). */
  replicaIdentity: 'd' | 'f' | 'i' | 'n';
}

/** Reads a table's columns, primary key and replica identity; null when it does not exist. */
export async function readTableInfo(
  client: pg.ClientBase,
  schema: string,
  table: string,
): Promise<TableInfo | null> {
  const relation = await client.query<{ oid: number; relreplident: TableInfo['replicaIdentity'] }>(
    `SELECT c.oid::int AS oid, c.relreplident FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  const found = relation.rows[0];
  if (!found) return null;
  const columns = await client.query<{
    name: string;
    type_oid: number;
    type_name: string;
    builtin: boolean;
    not_null: boolean;
  }>(
    `SELECT a.attname AS name, a.atttypid::int AS type_oid,
            format_type(a.atttypid, a.atttypmod) AS type_name,
            tn.nspname = 'pg_catalog' AS builtin, a.attnotnull AS not_null
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_namespace tn ON tn.oid = t.typnamespace
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [found.oid],
  );
  const key = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1 AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [found.oid],
  );
  return {
    schema,
    table,
    columns: columns.rows.map((c) => ({
      name: c.name,
      typeOid: c.type_oid,
      typeName: c.type_name,
      builtin: c.builtin,
      notNull: c.not_null,
    })),
    primaryKey: key.rows.map((k) => k.name),
    replicaIdentity: found.relreplident,
  };
}
