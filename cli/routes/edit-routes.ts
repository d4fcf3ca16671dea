/**
 * The editing commands (`flip`, `weight`, `shadow start|stop`): one `editRulesFile` call each, so
 * the user's comments and layout stay, the result is validated by the facade's loader before
 * anything is written, and the write is atomic. Prints what changed as a line diff; with
 * `--admin`, waits until the running facade serves the new file.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { editRulesFile } from '../../strangler-facade/src/rules-edit/edit-rules-file.js';
import { editRulesText } from '../../strangler-facade/src/rules-edit/edit-rules-text.js';
import { contentHash } from '../../strangler-facade/src/rules/read-rules-file.js';
import type { RulesEditor } from '../../strangler-facade/src/rules-edit/rules-editor.js';
import { adminClient } from '../admin-client.js';
import { CliError, type CliIo } from '../cli-io.js';
import { lineDiff, renderLineDiff } from './line-diff.js';
import { routesFileRef } from './routes-file.js';

export interface EditOptions {
  readonly file?: string;
  /** Validate and print the diff, write nothing. */
  readonly dryRun?: boolean;
  /** Wait for this facade admin plane to serve the edited file. */
  readonly admin?: string;
  readonly waitMs?: number;
}

/** Applies `edit` to the rules file, prints `summary` and the diff. */
export async function editRoutes(
  options: EditOptions,
  io: CliIo,
  summary: string,
  edit: (rules: RulesEditor) => void,
): Promise<void> {
  const file = routesFileRef(options.file, io);
  const result = await (
    options.dryRun
      ? readFile(file.path, 'utf8').then((text) => editRulesText(text, file.name, edit))
      : editRulesFile(file.path, edit, { sourceName: file.name })
  ).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') throw new CliError([`${file.name}: file not found`]);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new CliError([`${file.name}: cannot write here (${String(code)}); nothing changed`]);
    }
    throw error;
  });
  if (!result.changed) {
    io.out(`${file.name}: unchanged (${summary} already)\n`);
    return;
  }
  io.out(`${file.name}: ${summary}${options.dryRun ? ' (dry run: valid, not written)' : ''}\n`);
  io.out(renderLineDiff(lineDiff(result.previousText, result.text), file.name, io.color));
  if (result.reformatted) {
    io.out('note: this edit could not keep the exact layout; comments and key order are kept\n');
  }
  if (options.admin !== undefined && !options.dryRun)
    await waitForFacade(options.admin, contentHash(result.text), options.waitMs ?? 5000, io);
}

interface AdminStatus {
  readonly version?: number;
  readonly hash?: string;
  readonly lastReloadError?: { readonly errors?: readonly string[]; readonly hash?: string } | null;
}

/** Polls the admin `/status` until it reports `hash` (the file just written). */
async function waitForFacade(url: string, hash: string, waitMs: number, io: CliIo): Promise<void> {
  const client = adminClient(url, io.env);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const status = await client.get<AdminStatus>('/status');
    if (status.hash === hash) {
      io.out(`facade ${client.baseUrl}: serving version ${status.version ?? '?'} (${hash})\n`);
      return;
    }
    if (status.lastReloadError?.hash === hash) {
      throw new CliError([
        `facade ${client.baseUrl} refused the new file:`,
        ...(status.lastReloadError.errors ?? []),
      ]);
    }
    if (Date.now() >= deadline) {
      throw new CliError([
        `facade ${client.baseUrl} still serves ${status.hash ?? '?'} after ${waitMs} ms ` +
          `(written: ${hash}); does it watch this file?`,
      ]);
    }
    await sleep(100);
  }
}
