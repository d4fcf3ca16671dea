// The public surface of strangler-sync (for the stack, the facade's admin plane and tests).
export * from './change-event/change-event.js';
export { syncMetrics, syncMetricsRegistry } from './metrics.js';
export {
  PipelineDefinitionError,
  loadPipelineDefinition,
  parsePipelineDefinitionYaml,
} from './pipeline-definition/load-pipeline-definition.js';
export {
  originNameFor,
  parsePipelineDefinition,
  pipelineDefinitionSchema,
  type PipelineDefinition,
} from './pipeline-definition/pipeline-definition.schema.js';
export { ORIGIN_GRANT, ReplicationOriginError } from './apply/replication-origin.js';
export { backfillTable, type BackfillOptions } from './pipeline/backfill-table.js';
export { pruneTombstones } from './pipeline/prune-tombstones.js';
export {
  dropPipelineSource,
  readPipelineStatus,
  startPipeline,
  type PipelineProgress,
  type PipelineStatus,
  type RunningPipeline,
  type StartPipelineOptions,
} from './pipeline/start-pipeline.js';
export type { SnapshotProgress } from './snapshot/initial-load.js';
export {
  formatVerifyReport,
  verifyPipeline,
  type VerifyOptions,
  type VerifyReport,
} from './verify/verify-pipeline.js';
export {
  decodeDebeziumRecord,
  DebeziumRecordError,
  type DecodedRecord,
} from './kafka/debezium-record.js';
export { topicFor } from './kafka/kafka-apply.js';
