/**
 * The JSON Schema of a pipeline file, generated from the zod schema (never hand-edited), for
 * editors: `# yaml-language-server: $schema=../../strangler-sync/pipeline.schema.json` at the top
 * of a `migrations/pipelines/*.pipeline.yaml` gives completion and checks while typing.
 * `strangler-sync/pipeline.schema.json` is this output; its spec fails when they drift and
 * rewrites it with `UPDATE_PIPELINE_SCHEMA=1`. Cross-field checks (url or urlEnv, skipAppliedBy
 * with a Debezium capture) live only in the zod schema.
 */
import { z } from 'zod';
import { pipelineDefinitionSchema } from './pipeline-definition.schema.js';

export const PIPELINE_SCHEMA_ID = 'urn:strangler:sync-pipeline:v1';

export function pipelineJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(pipelineDefinitionSchema, { io: 'input', unrepresentable: 'any' }),
    $id: PIPELINE_SCHEMA_ID,
    title: 'strangler-sync pipeline definition',
    description:
      'One change data capture pipeline: source and target databases, the table mappings, the transport and skipAppliedBy (docs/sync.md).',
  };
}
