import pg from 'pg';
import { createTestDatabase, startTestPostgres } from '../../../test-support/database.js';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { dropPublication, dropSlot } from '../../src/capture/replication-slot.js';
import {
  parsePipelineDefinition,
  type PipelineDefinitionInput,
  type PipelineDefinition,
} from '../../src/pipeline-definition/pipeline-definition.schema.js';

/** A real PostgreSQL for a suite, with helpers to make source/target databases and pipelines. */
export class SyncFixture {
  private clients: pg.Client[] = [];
  private slots: { url: string; slot: string; publication: string }[] = [];

  private constructor(readonly cluster: PostgresCluster) {}

  static async start(label: string): Promise<SyncFixture> {
    return new SyncFixture(await startTestPostgres(label));
  }

  /** A fresh source and target database, each set up with `sourceSql` / `targetSql`. */
  async databases(
    sourceSql: string,
    targetSql: string,
  ): Promise<{ sourceUrl: string; targetUrl: string }> {
    const sourceUrl = await createTestDatabase(this.cluster, 'src');
    const targetUrl = await createTestDatabase(this.cluster, 'tgt');
    await this.exec(sourceUrl, sourceSql);
    await this.exec(targetUrl, targetSql);
    return { sourceUrl, targetUrl };
  }

  definition(
    name: string,
    urls: { sourceUrl: string; targetUrl: string },
    input: Partial<PipelineDefinitionInput> & Pick<PipelineDefinitionInput, 'tables'>,
  ): PipelineDefinition {
    const parsed = parsePipelineDefinition(
      { source: { url: urls.sourceUrl }, target: { url: urls.targetUrl }, ...input },
      name,
    );
    if (!parsed.success) throw parsed.error;
    this.slots.push({
      url: urls.sourceUrl,
      slot: parsed.data.slot,
      publication: parsed.data.publication,
    });
    return parsed.data;
  }

  async client(url: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SET TIME ZONE 'UTC'`);
    this.clients.push(client);
    return client;
  }

  async exec(url: string, sql: string): Promise<void> {
    if (!sql.trim()) return;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  async rows<T = Record<string, unknown>>(
    url: string,
    sql: string,
    values: unknown[] = [],
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`SET TIME ZONE 'UTC'`);
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Always drop slots: a leftover slot holds WAL. */
  async stop(): Promise<void> {
    for (const client of this.clients) await client.end().catch(() => undefined);
    for (const { url, slot, publication } of this.slots) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await dropSlot(client, slot);
        await dropPublication(client, publication);
      } catch {
        // the database may be gone already
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    await this.cluster.stop();
  }
}

/** Polls until `check` returns a truthy value (or throws with the last value after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `condition not met in ${timeoutMs} ms; last value ${JSON.stringify(last)} ${lastError instanceof Error ? lastError.message : ''}`,
  );
}
