import type { Logger } from 'pino';
import type { ChangeApplier } from '../apply/change-applier.js';
import { KafkaChangeApplier } from '../kafka/kafka-apply.js';
import { KafkaCapturePublisher } from '../kafka/kafka-capture.js';
import type { Lsn } from '../lsn.js';
import type { CompiledTableMapping } from '../mapping/table-mapping.js';
import type {
  KafkaTransportDefinition,
  PipelineDefinition,
} from '../pipeline-definition/pipeline-definition.schema.js';

/**
 * How change events travel from capture to apply. `in-process` is the ChangeStreamer
 * (pgoutput → target, one process, `stream-changes.ts`); `kafka` puts Kafka in between:
 * the built-in capture publishes Debezium-format records (or a real Debezium connector does,
 * `capture: external`) and a consumer group member applies them.
 */
export interface ChangeTransport {
  start(): Promise<{ done: Promise<void> }>;
  stop(): Promise<void>;
  /** The position the transport has made durable (applied, or handed to Kafka). */
  readonly applied: Lsn;
}

/** The brokers of a kafka transport: `brokers`, else the comma-separated `brokersEnv`. */
export function resolveBrokers(
  transport: KafkaTransportDefinition,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (transport.brokers) return transport.brokers;
  const value = transport.brokersEnv ? env[transport.brokersEnv] : undefined;
  const brokers = (value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0)
    throw new Error(
      `transport.brokersEnv: environment variable ${transport.brokersEnv ?? ''} is not set ` +
        '(comma-separated host:port list of Kafka brokers)',
    );
  return brokers;
}

export interface KafkaTransportOptions {
  definition: PipelineDefinition;
  transport: KafkaTransportDefinition;
  mappings: CompiledTableMapping[];
  applier: ChangeApplier;
  targetUrl: string;
  logger: Logger;
  /** Only for `capture: builtin`: where the capture side reads the slot. */
  capture?: { sourceUrl: string; sourceDb: string; startLsn: Lsn };
  /** Run only one side in this process (default both; external capture: apply only). */
  role?: 'capture' | 'apply' | 'both';
  onPublished?: (lsn: Lsn) => void;
  onCommitted?: (events: number) => void;
  /** Called for each source transaction the capture skipped as an echo (skipAppliedBy). */
  onEchoSkipped?: () => void;
  brokers?: string[];
}

/** The kafka transport: the capture publisher and/or the applying consumer. */
export class KafkaTransport implements ChangeTransport {
  private readonly publisher: KafkaCapturePublisher | null;
  private readonly consumer: KafkaChangeApplier | null;
  private startLsn: Lsn;

  constructor(options: KafkaTransportOptions) {
    const { definition, transport, mappings, logger } = options;
    const brokers = options.brokers ?? resolveBrokers(transport);
    const role = transport.capture === 'external' ? 'apply' : (options.role ?? 'both');
    this.startLsn = options.capture?.startLsn ?? '0/0';
    if (role !== 'apply') {
      if (!options.capture) throw new Error('the built-in capture needs the source and slot');
      if (transport.format === 'unwrapped')
        throw new Error('format unwrapped is read-only: use it with capture: external');
      this.publisher = new KafkaCapturePublisher({
        pipeline: definition.name,
        sourceUrl: options.capture.sourceUrl,
        sourceDb: options.capture.sourceDb,
        slot: definition.slot,
        publication: definition.publication,
        startLsn: options.capture.startLsn,
        brokers,
        topicPrefix: transport.topicPrefix,
        format: transport.format,
        tables: new Map(mappings.map((m) => [m.sourceName, m.source])),
        logger,
        onPublished: options.onPublished,
        skipOrigins: definition.skipOrigins,
        onEchoSkipped: options.onEchoSkipped,
      });
    } else {
      this.publisher = null;
    }
    this.consumer =
      role === 'capture'
        ? null
        : new KafkaChangeApplier({
            pipeline: definition.name,
            brokers,
            groupId: transport.groupId ?? `strangler-${definition.name}`,
            topicPrefix: transport.topicPrefix,
            targetUrl: options.targetUrl,
            mappings,
            applier: options.applier,
            logger,
            onCommitted: options.onCommitted,
            foreignKeys: transport.foreignKeys,
            origin: definition.origin,
          });
  }

  get applied(): Lsn {
    return this.publisher?.published ?? this.startLsn;
  }

  async start(): Promise<{ done: Promise<void> }> {
    const parts: Promise<void>[] = [];
    try {
      if (this.consumer) parts.push((await this.consumer.start()).done);
      if (this.publisher) parts.push((await this.publisher.start()).done);
    } catch (error) {
      await this.stop();
      throw error;
    }
    // Either side failing fails the transport (and stops the other side).
    const done = Promise.all(parts).then(
      () => undefined,
      async (error: unknown) => {
        await this.stop();
        throw error;
      },
    );
    for (const part of parts) part.catch(() => this.stop());
    return { done };
  }

  private stopping: Promise<void> | null = null;
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.publisher?.stop().catch(() => undefined);
      await this.consumer?.stop().catch(() => undefined);
    })();
    return this.stopping;
  }
}
