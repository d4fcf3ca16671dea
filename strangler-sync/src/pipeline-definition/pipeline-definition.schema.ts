import { z } from 'zod';

/**
 * The one schema of a sync pipeline definition (`migrations/pipelines/<name>.pipeline.yaml`).
 *
 * ```yaml
 * name: cards                      # defaults to the file name
 * source:
 *   urlEnv: LEGACY_DATABASE_URL    # or url: postgres://...
 *   schema: public
 * target:
 *   urlEnv: CARDS_DATABASE_URL
 *   schema: public
 * slot: strangler_cards            # logical replication slot (pgoutput)
 * publication: strangler_cards     # CREATE PUBLICATION ... FOR TABLE <the tables below>
 * deadLetters: stop                # or continue
 * snapshot: { chunkSize: 1000 }
 * skipAppliedBy: [cards-reverse]  # echo suppression: capture skips every source transaction that
 *                                  # these pipelines' apply committed (their replication origins)
 * tables:
 *   users:                         # source table
 *     target: authors              # target table (default: same name)
 *     include: [id, handle, display_name, banned_at]   # or drop: [...]
 *     rename: { display_name: display_name }
 *     derived: { handle_lower: "lower(handle)" }       # SQL over SOURCE column names
 *     filter: { status: published }                    # column: value | [values] | null
 *     where: "banned_at IS NULL"                       # SQL predicate over source columns
 * transport:                       # optional; default { kind: in-process }
 *   kind: kafka                    # change events travel through Kafka (docs/kafka-debezium.md)
 *   brokersEnv: KAFKA_BROKERS      # or brokers: [host:9092, ...]
 *   topicPrefix: legacy            # topics <topicPrefix>.<schema>.<table> (Debezium topic.prefix)
 *   groupId: strangler-cards       # consumer group of the apply side (default strangler-<name>)
 *   format: json                   # json | json-with-schemas | unwrapped (ExtractNewRecordState)
 *   capture: builtin               # builtin: this pipeline publishes; external: a Debezium
 *                                  # connector writes the topics and only the apply side runs
 *   foreignKeys: auto              # target FKs while applying: replica (not enforced, as in
 *                                  # PostgreSQL logical replication), wait, auto (replica if allowed)
 * ```
 */

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a plain SQL identifier (letters, digits, _)')
  .max(63, 'must be at most 63 characters (PostgreSQL identifier limit)');

const slotName = z
  .string()
  .regex(/^[a-z0-9_]+$/, 'must be lower-case letters, digits and _ (replication slot rules)')
  .max(63);

const database = z
  .strictObject({
    url: z.string().min(1).optional(),
    urlEnv: z.string().min(1).optional(),
    schema: identifier.default('public'),
  })
  .refine((db) => db.url !== undefined || db.urlEnv !== undefined, {
    message: 'give the database as url or urlEnv',
  });

const filterValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const tableMapping = z.strictObject({
  target: identifier.optional(),
  include: z.array(identifier).min(1).optional(),
  drop: z.array(identifier).optional(),
  rename: z.record(identifier, identifier).optional(),
  derived: z.record(identifier, z.string().min(1)).optional(),
  filter: z.record(identifier, z.union([filterValue, z.array(filterValue).min(1)])).optional(),
  where: z.string().min(1).optional(),
});

const pipelineName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ and -')
  .max(50);

const inProcessTransport = z.strictObject({ kind: z.literal('in-process') });

const kafkaTransport = z
  .strictObject({
    kind: z.literal('kafka'),
    brokers: z.array(z.string().min(1)).min(1).optional(),
    brokersEnv: z.string().min(1).optional(),
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, ., _ and - (Kafka topic rules)'),
    groupId: z.string().min(1).optional(),
    format: z.enum(['json', 'json-with-schemas', 'unwrapped']).default('json'),
    capture: z.enum(['builtin', 'external']).default('builtin'),
    foreignKeys: z.enum(['auto', 'replica', 'wait']).default('auto'),
  })
  .refine((t) => t.brokers !== undefined || t.brokersEnv !== undefined, {
    message: 'give the Kafka brokers as brokers or brokersEnv',
  })
  .refine((t) => t.format !== 'unwrapped' || t.capture === 'external', {
    message: 'format unwrapped is read-only: use it with capture: external',
    path: ['format'],
  });

const transport = z.discriminatedUnion('kind', [inProcessTransport, kafkaTransport]);

export type KafkaTransportDefinition = z.output<typeof kafkaTransport>;
export type TransportDefinition = z.output<typeof transport>;

export const pipelineDefinitionSchema = z
  .strictObject({
    name: pipelineName.optional(),
    source: database,
    target: database,
    slot: slotName.optional(),
    publication: identifier.optional(),
    deadLetters: z.enum(['stop', 'continue']).default('stop'),
    snapshot: z
      .strictObject({
        chunkSize: z.number().int().positive().default(1000),
        enabled: z.boolean().default(true),
      })
      .default({ chunkSize: 1000, enabled: true }),
    tables: z
      .record(identifier, tableMapping.nullable())
      .refine((tables) => Object.keys(tables).length > 0, { message: 'list at least one table' }),
    transport: transport.default({ kind: 'in-process' }),
    /**
     * Names of pipelines whose APPLIED changes this pipeline's capture skips (echo suppression when
     * two pipelines sync the same tables in opposite directions). Every pipeline's apply side tags
     * the transactions it commits with its replication origin (`originNameFor`); the capture drops
     * each source transaction whose origin belongs to one of these pipelines and still confirms its
     * position. Origins of other pipelines (and native writes) are captured as usual. Needs the
     * built-in capture: a Debezium connector (`capture: external`) cannot filter by origin.
     */
    skipAppliedBy: z
      .array(pipelineName)
      .default([])
      .describe(
        'Pipelines whose applied changes this capture skips (echo suppression between two ' +
          'pipelines running in opposite directions; by replication origin; docs/sync.md)',
      ),
  })
  .refine(
    (p) =>
      p.skipAppliedBy.length === 0 ||
      p.transport.kind !== 'kafka' ||
      p.transport.capture !== 'external',
    {
      message:
        'skipAppliedBy needs the built-in capture: a Debezium connector (capture: external) cannot ' +
        'filter by replication origin (docs/sync.md, "Two directions")',
      path: ['skipAppliedBy'],
    },
  );

export type PipelineDefinitionInput = z.input<typeof pipelineDefinitionSchema>;
export type TableMappingDefinition = z.output<typeof tableMapping>;

/** A validated definition with every default filled in. */
export interface PipelineDefinition {
  name: string;
  source: { url?: string; urlEnv?: string; schema: string };
  target: { url?: string; urlEnv?: string; schema: string };
  slot: string;
  publication: string;
  deadLetters: 'stop' | 'continue';
  snapshot: { chunkSize: number; enabled: boolean };
  tables: Record<string, TableMappingDefinition>;
  /** How change events travel from capture to apply (default in-process). */
  transport: TransportDefinition;
  /** Replication origin the apply side tags its target transactions with (`originNameFor`). */
  origin: string;
  /** Pipelines whose applied changes the capture skips (see the schema field). */
  skipAppliedBy: string[];
  /** Their replication origins: a source transaction with one of these (or a suffixed one) is skipped. */
  skipOrigins: string[];
}

/** Pipeline name → the part of the default slot, publication and origin names: `[^a-z0-9_]` → `_`. */
function sqlSafeName(name: string): string {
  return name.replace(/[^a-z0-9_]/g, '_');
}

/**
 * The replication origin a pipeline's apply side tags its target transactions with:
 * `strangler_<name with [^a-z0-9_] replaced by _>` (the same rule as the default slot). A
 * backfill, which writes at the same time as the streaming apply, uses `<origin>:backfill:<pid>`
 * instead, because an origin can be active in one session at a time; `isOriginOf` recognises
 * both.
 */
export function originNameFor(pipeline: string): string {
  return `strangler_${sqlSafeName(pipeline)}`;
}

/** The origin of one extra concurrent session of a pipeline (`strangler_cards:backfill:123`). */
export function suffixedOrigin(origin: string, ...suffix: (string | number)[]): string {
  return [origin, ...suffix].join(':');
}

/** True when `originName` is `origin` or one of its suffixed forms. */
export function isOriginOf(originName: string, origin: string): boolean {
  return originName === origin || originName.startsWith(`${origin}:`);
}

/** Validates a parsed definition; `fallbackName` (the file name) names it when `name` is absent. */
export function parsePipelineDefinition(
  input: unknown,
  fallbackName: string,
): { success: true; data: PipelineDefinition } | { success: false; error: z.ZodError } {
  const parsed = pipelineDefinitionSchema.safeParse(input);
  if (!parsed.success) return parsed;
  const value = parsed.data;
  const name = value.name ?? fallbackName;
  const slotSafe = sqlSafeName(name);
  const tables: Record<string, TableMappingDefinition> = {};
  for (const [table, mapping] of Object.entries(value.tables)) tables[table] = mapping ?? {};
  return {
    success: true,
    data: {
      name,
      source: value.source,
      target: value.target,
      slot: value.slot ?? `strangler_${slotSafe}`,
      publication: value.publication ?? `strangler_${slotSafe}`,
      deadLetters: value.deadLetters,
      snapshot: value.snapshot,
      tables,
      transport: value.transport,
      origin: originNameFor(name),
      skipAppliedBy: value.skipAppliedBy,
      skipOrigins: value.skipAppliedBy.map(originNameFor),
    },
  };
}
