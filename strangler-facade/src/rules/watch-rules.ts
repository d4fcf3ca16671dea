/**
 * Watches the rules file and calls `onChange` (debounced) when it may have changed.
 *
 * `fs.watch` on the DIRECTORY, not the file: editors save by writing a temp file and renaming it
 * over the original, which replaces the inode a file watch would be attached to; deletes and
 * re-creates are seen the same way. A poll of the file's stat (size, mtime, inode) backs the
 * watcher up on filesystems where events are unreliable (network mounts, some containers).
 * Deciding whether the content is new and valid is the caller's job (`ActiveRules#reload`).
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface WatchRulesOptions {
  /** Quiet time after the last event before `onChange` runs (lets a writer finish). */
  readonly debounceMs: number;
  /** Interval of the stat poll fallback; 0 disables it. */
  readonly pollIntervalMs: number;
  readonly onChange: () => void;
  readonly onWatchError?: (error: Error) => void;
  /** False relies on the poll alone (tests of the fallback, or filesystems without events). */
  readonly fsWatch?: boolean;
}

export interface RulesWatcher {
  close(): void;
}

export function watchRules(file: string, options: WatchRulesOptions): RulesWatcher {
  const directory = path.dirname(path.resolve(file));
  const base = path.basename(file);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (!closed) options.onChange();
    }, options.debounceMs);
  };

  let watcher: FSWatcher | null = null;
  const onEvent = (_event: string, filename: string | Buffer | null): void => {
    // Some platforms omit the name; then any change in the directory counts. Names starting
    // with ".." are Kubernetes' atomic ConfigMap swaps (`..data` → a new timestamped folder).
    const name = filename?.toString() ?? null;
    if (name === null || name === base || name.startsWith('..')) schedule();
  };
  if (options.fsWatch !== false) {
    try {
      watcher = watch(directory, { persistent: false }, onEvent);
      watcher.on('error', (error) => options.onWatchError?.(error));
    } catch (error) {
      options.onWatchError?.(error as Error);
    }
  }

  let lastSeen = '';
  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling || closed) return;
    polling = true;
    try {
      const info = await stat(file).catch(() => null);
      const seen = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing';
      if (lastSeen !== '' && seen !== lastSeen) schedule();
      lastSeen = seen;
    } finally {
      polling = false;
    }
  };
  const poller =
    options.pollIntervalMs > 0 ? setInterval(() => void poll(), options.pollIntervalMs) : null;
  poller?.unref();
  void poll();

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (poller) clearInterval(poller);
      watcher?.close();
    },
  };
}
