/**
 * Edits `routes.yaml` in place: read, edit (comments and layout kept), validate with the
 * facade's loader, write atomically, refusing when the file changed on disk in between. The
 * running facade's watcher then reloads it like any other save.
 *
 * ```ts
 * await editRulesFile('routes.yaml', (rules) => rules.setCanary('cards-get-by-id', {
 *   upstream: 'cards-service', percent: 10,
 * }));
 * ```
 *
 * Edits of one file within one process run one after another (the admin API may get two at
 * once); edits from other processes are caught by the compare-and-swap check.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

import { contentHash } from '../rules/read-rules-file.js';
import { editRulesText, type RulesEditResult } from './edit-rules-text.js';
import type { RulesEditor } from './rules-editor.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface RulesFileEditResult extends RulesEditResult {
  /** Content hash of the file after the call (as the facade's `/status` reports it). */
  readonly hash: string;
}

export interface EditRulesFileOptions {
  /** Name used in messages (default: the path as given). */
  readonly sourceName?: string;
  /** Test hook, see `writeFileAtomic`. */
  readonly beforeRename?: () => Promise<void> | void;
}

const queues = new Map<string, Promise<unknown>>();

/**
 * @throws UnknownRuleError, InvalidEditError, RulesEditRefusedError (nothing written),
 *   RulesFileChangedError (the file changed meanwhile; nothing written), or the fs error
 */
export async function editRulesFile(
  file: string,
  edit: (editor: RulesEditor) => void,
  options: EditRulesFileOptions = {},
): Promise<RulesFileEditResult> {
  // Through a symlink the target is edited, and the link stays a link.
  const target = await realpath(file).catch(() => path.resolve(file));
  const previous = queues.get(target) ?? Promise.resolve();
  const run = previous.then(
    () => editOnce(file, target, edit, options),
    () => editOnce(file, target, edit, options),
  );
  const settled = run.catch(() => undefined);
  queues.set(target, settled);
  void settled.then(() => {
    if (queues.get(target) === settled) queues.delete(target);
  });
  return run;
}

async function editOnce(
  file: string,
  target: string,
  edit: (editor: RulesEditor) => void,
  options: EditRulesFileOptions,
): Promise<RulesFileEditResult> {
  const text = await readFile(target, 'utf8');
  const result = editRulesText(text, options.sourceName ?? file, edit);
  if (result.changed) {
    await writeFileAtomic(target, result.text, {
      expected: text,
      ...(options.beforeRename && { beforeRename: options.beforeRename }),
    });
  }
  return { ...result, hash: contentHash(result.text) };
}
