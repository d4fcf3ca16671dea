import { pino } from 'pino';
import { ensureSyncTables, syncTables } from '../apply/sync-bookkeeping.js';
import type { KafkaTransportDefinition } from '../pipeline-definition/pipeline-definition.schema.js';
import type { PipelineDefinition } from '../pipeline-definition/pipeline-definition.schema.js';
import {
  applierFor,
  compileMappings,
  connect,
  resolveUrls,
} from '../pipeline/pipeline-connections.js';
import type {
  PipelineStatus,
  RunningPipeline,
  StartPipelineOptions,
} from '../pipeline/start-pipeline.js';
import { KafkaTransport } from './change-transport.js';

/**
 * `transport: { kind: kafka, capture: external }`: a Debezium PostgreSQL connector owns the
 * capture (its slot, publication and snapshot, `op: r` records), and this pipeline only runs the
 * apply side. The source database is read for its catalog only (the mapping is checked against
 * it), never replicated from: no slot, no publication, no initial copy here.
 */
export async function startExternalKafkaPipeline(
  definition: PipelineDefinition,
  transport: KafkaTransportDefinition,
  options: StartPipelineOptions & { brokers?: string[] },
): Promise<RunningPipeline> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const { sourceUrl, targetUrl } = resolveUrls(definition, options);
  const pipeline = definition.name;
  const schema = definition.target.schema;
  const source = await connect(sourceUrl);
  const target = await connect(targetUrl);
  let kafka: KafkaTransport;
  try {
    const mappings = await compileMappings(definition, source, target);
    const applier = applierFor(definition, mappings);
    await ensureSyncTables(target, schema);
    kafka = new KafkaTransport({
      definition,
      transport,
      mappings,
      applier,
      targetUrl,
      logger,
      brokers: options.brokers,
    });
  } finally {
    await source.end();
    await target.end();
  }
  let phase: PipelineStatus['phase'] = 'starting';
  let failure: Error | null = null;
  const running = await kafka.start();
  phase = 'streaming';
  logger.info({ pipeline, topicPrefix: transport.topicPrefix }, 'applying from Kafka');
  const done = running.done.then(
    () => {
      phase = 'stopped';
    },
    (error: unknown) => {
      phase = 'failed';
      failure = error instanceof Error ? error : new Error(String(error));
      logger.error({ pipeline, err: failure }, 'pipeline failed');
      throw failure;
    },
  );
  done.catch(() => undefined);
  return {
    done,
    stop: async () => {
      await kafka.stop();
      await done.catch(() => undefined);
    },
    status: async () => {
      const client = await connect(targetUrl);
      try {
        const count = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${syncTables(schema).deadLetters} WHERE pipeline = $1`,
          [pipeline],
        );
        return {
          pipeline,
          phase,
          appliedLsn: null,
          slot: null,
          deadLetters: Number(count.rows[0]?.n ?? 0),
          error: failure?.message ?? null,
        };
      } finally {
        await client.end();
      }
    },
  };
}
