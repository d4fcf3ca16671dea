/**
 * A short cross-process lock around "check the file is unchanged, then rename over it", so two
 * editors (the CLI, the admin API, the rollout controller of another replica on a shared volume)
 * cannot both pass the check and have the second rename silently drop the first edit.
 *
 * The lock is a file created with O_EXCL next to the rules file (`.routes.yaml.lock`: one leading
 * dot, which the rules watcher ignores), held for milliseconds. A lock older than `staleMs` is
 * taken to be left over from a crashed editor and removed.
 */
import { open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { RulesFileLockedError } from './rules-edit-errors.js';

export interface EditLockOptions {
  /** Give up waiting after this long (default 3000 ms). */
  readonly timeoutMs?: number;
  /** A lock file older than this is stale (default 10000 ms). */
  readonly staleMs?: number;
}

export function lockPathOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.lock`);
}

export async function withEditLock<T>(
  file: string,
  run: () => Promise<T>,
  options: EditLockOptions = {},
): Promise<T> {
  const lock = lockPathOf(file);
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  const staleMs = options.staleMs ?? 10_000;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o644);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (stats) => Date.now() - stats.mtimeMs,
        () => 0,
      );
      if (age > staleMs) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline) throw new RulesFileLockedError(file, lock);
      await sleep(10 + Math.random() * 20);
    }
  }
  try {
    return await run();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
