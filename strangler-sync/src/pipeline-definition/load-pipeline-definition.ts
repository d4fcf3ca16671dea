import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { parsePipelineDefinition, type PipelineDefinition } from './pipeline-definition.schema.js';

/** A definition that cannot be used; the message names the file, line and field of each problem. */
export class PipelineDefinitionError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line: number; column: number; field: string; message: string }[],
  ) {
    super(
      `invalid pipeline definition ${file}:\n` +
        problems
          .map((p) => `  ${file}:${p.line}:${p.column} ${p.field || '(root)'}: ${p.message}`)
          .join('\n'),
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
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new PipelineDefinitionError(
      file,
      document.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return { line: at.line, column: at.col, field: '', message: error.message };
      }),
    );
  }
  const result = parsePipelineDefinition(document.toJS(), pipelineNameFromFile(file));
  if (result.success) return result.data;
  throw new PipelineDefinitionError(
    file,
    result.error.issues.map((issue) => {
      const fieldPath = issue.path.map((part) => String(part));
      const lookup =
        issue.code === 'unrecognized_keys' ? [...fieldPath, issue.keys[0] ?? ''] : fieldPath;
      const offset = offsetOf(document.contents, lookup);
      const at = lineCounter.linePos(offset);
      const keys =
        issue.code === 'unrecognized_keys'
          ? ` (${issue.keys.map((k) => `"${k}"`).join(', ')})`
          : '';
      return {
        line: at.line,
        column: at.col,
        field: fieldPath.join('.'),
        message: issue.message + keys,
      };
    }),
  );
}

/**
 * Offset of the deepest node on `fieldPath` that exists (a missing field points at its parent).
 * Key nodes are preferred so the position is the line where the field is written.
 */
function offsetOf(root: unknown, fieldPath: string[]): number {
  let node = root as Node | null | undefined;
  let offset = node?.range?.[0] ?? 0;
  for (const part of fieldPath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const key = item.key as Node | string | null;
        return (
          (typeof key === 'object' && key && 'value' in key ? String(key.value) : String(key)) ===
          part
        );
      });
      if (!pair) break;
      const key = pair.key as Node | null;
      offset = key?.range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node)) {
      const item = node.items[Number(part)] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}
