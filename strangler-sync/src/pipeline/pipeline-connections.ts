import pg from 'pg';
import { readTableInfo } from '../catalog/table-catalog.js';
import { ChangeApplier } from '../apply/change-applier.js';
import {
  compileTableMapping,
  MappingError,
  type CompiledTableMapping,
} from '../mapping/table-mapping.js';
import type { PipelineDefinition } from '../pipeline-definition/pipeline-definition.schema.js';

export interface PipelineUrls {
  sourceUrl?: string;
  targetUrl?: string;
}

/** Source and target URLs: explicit options, else the definition's `url`, else its `urlEnv`. */
export function resolveUrls(
  definition: PipelineDefinition,
  urls: PipelineUrls,
  env: NodeJS.ProcessEnv = process.env,
): { sourceUrl: string; targetUrl: string } {
  const pick = (side: 'source' | 'target', explicit: string | undefined): string => {
    const db = definition[side];
    const url = explicit ?? db.url ?? (db.urlEnv ? env[db.urlEnv] : undefined);
    if (!url)
      throw new Error(
        `pipeline ${definition.name}: no ${side} database URL ` +
          (db.urlEnv ? `(environment variable ${db.urlEnv} is not set)` : '(give url or urlEnv)'),
      );
    return url;
  };
  return { sourceUrl: pick('source', urls.sourceUrl), targetUrl: pick('target', urls.targetUrl) };
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A server shutting down (57P01) or a dropped connection: the next query on this client, or
  // the replication stream, reports it; unheard, the event would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  await client.query(`SET TIME ZONE 'UTC'`);
  return client;
}

/** The definition's mappings checked against both databases, in definition (copy) order. */
export async function compileMappings(
  definition: PipelineDefinition,
  source: pg.ClientBase,
  target: pg.ClientBase,
): Promise<CompiledTableMapping[]> {
  const compiled: CompiledTableMapping[] = [];
  for (const [table, mapping] of Object.entries(definition.tables)) {
    const sourceInfo = await readTableInfo(source, definition.source.schema, table);
    if (!sourceInfo)
      throw new MappingError(
        `tables.${table}: source table ${definition.source.schema}.${table} does not exist`,
      );
    const targetTable = mapping.target ?? table;
    const targetInfo = await readTableInfo(target, definition.target.schema, targetTable);
    if (!targetInfo)
      throw new MappingError(
        `tables.${table}.target: target table ${definition.target.schema}.${targetTable} does not exist`,
      );
    compiled.push(compileTableMapping(table, mapping, sourceInfo, targetInfo));
  }
  return compiled;
}

export function applierFor(
  definition: PipelineDefinition,
  mappings: CompiledTableMapping[],
): ChangeApplier {
  return new ChangeApplier({
    pipeline: definition.name,
    targetSchema: definition.target.schema,
    mappings: new Map(mappings.map((m) => [m.sourceName, m])),
    deadLetters: definition.deadLetters,
  });
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}
