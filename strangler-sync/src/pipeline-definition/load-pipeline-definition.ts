import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatYamlProblem, parseValidatedYaml } from '../../../strangler-config/validated-yaml.js';
import { parsePipelineDefinition, type PipelineDefinition } from './pipeline-definition.schema.js';

/** A definition that cannot be used; the message names the file, line and field of each problem. */
export class PipelineDefinitionError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line: number; column: number; field: string; message: string }[],
  ) {
    super(
      `invalid pipeline definition ${file}:\n` +
        problems.map((problem) => `  ${formatYamlProblem(file, problem)}`).join('\n'),
    );
    this.name = 'PipelineDefinitionError';
  }
}

/** `migrations/pipelines/cards.pipeline.yaml` → `cards`. */
export function pipelineNameFromFile(file: string): string {
  return path
    .basename(file)
    .replace(/\.pipeline\.ya?ml$/, '')
    .replace(/\.ya?ml$/, '');
}

export async function loadPipelineDefinition(file: string): Promise<PipelineDefinition> {
  return parsePipelineDefinitionYaml(await readFile(file, 'utf8'), file);
}

/** Parses and validates YAML text; `file` is used for the name default and in error messages. */
export function parsePipelineDefinitionYaml(text: string, file: string): PipelineDefinition {
  const result = parseValidatedYaml(text, file, {
    safeParse: (input: unknown) => parsePipelineDefinition(input, pipelineNameFromFile(file)),
  });
  if (result.ok) return result.value;
  throw new PipelineDefinitionError(file, result.problems);
}
