/**
 * Replaces a file so that a reader (the facade's watcher, a crash, a power cut) sees either the
 * old or the new content, never a mix: write a temp file in the same directory, fsync it, rename
 * it over the target, fsync the directory. The temp name starts with a single dot and never with
 * "..", which the rules watcher ignores.
 *
 * `expected` is a compare-and-swap guard: when the file no longer holds that text just before the
 * rename, nothing is written and `RulesFileChangedError` is thrown (a concurrent edit is not lost).
 * The check and the rename then run under the edit lock (`edit-lock.ts`), so two editors cannot
 * both pass the check.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

import { withEditLock, type EditLockOptions } from './edit-lock.js';
import { RulesFileChangedError } from './rules-edit-errors.js';

export interface AtomicWriteOptions {
  /** The content the file must still have, or the write is refused. */
  readonly expected?: string;
  /** Called after the temp file is durable and before the check and rename (tests). */
  readonly beforeRename?: () => Promise<void> | void;
  /** Waiting for the edit lock (taken only with `expected`). */
  readonly lock?: EditLockOptions;
}

export async function writeFileAtomic(
  file: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const directory = path.dirname(file);
  const temp = path.join(
    directory,
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const mode = await stat(file).then(
    (stats) => stats.mode & 0o777,
    () => 0o644,
  );
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.();
    const swap = async (): Promise<void> => {
      if (options.expected !== undefined) {
        const now = await readFile(file, 'utf8').catch(() => null);
        if (now !== options.expected) throw new RulesFileChangedError(file);
      }
      await rename(temp, file);
      renamed = true;
    };
    // The check and the rename are one step for every editor that takes the lock.
    if (options.expected !== undefined) await withEditLock(file, swap, options.lock);
    else await swap();
    await syncDirectory(directory);
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/** Makes the rename itself durable; not every platform can open a directory (ignored there). */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Windows and some filesystems refuse: the rename is still atomic, only less durable.
  } finally {
    await handle?.close();
  }
}
