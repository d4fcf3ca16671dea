/**
 * Reads the rules file only once its content has settled. Invariant: content is handed on only
 * when two reads `settleMs` apart returned the same bytes, so a file written in place in several
 * writes (`{ head -c 337 new.yaml; sleep 0.1; tail -c +338 new.yaml; } > routes.yaml`) is never
 * taken half-way, even when the half happens to be valid YAML. A writer that pauses longer than
 * `settleMs` between its writes can still be caught mid-way: write atomically (a temp file
 * renamed over the original, as the facade's own editor, the CLI and most editors do) or raise
 * the settle interval above the writer's longest pause.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** One read of the file: its content and where it was seen. */
export interface RulesFileContent {
  readonly text: string;
  /** sha-256 of the content, hex. */
  readonly sha256: string;
  readonly bytes: number;
  readonly mtime: Date;
}

export type SettledRead =
  | { readonly ok: true; readonly content: RulesFileContent }
  | { readonly ok: false; readonly error: NodeJS.ErrnoException | Error };

export interface SettleOptions {
  /** Pause between the reads that must agree; 0 reads once. */
  readonly settleMs: number;
  /** sha-256 of the content in service: seeing it again needs no settling. */
  readonly served?: string;
  /** Give up after this many reads that kept changing (the next change event tries again). */
  readonly maxReads?: number;
  /** Called with new content before each pause that waits for it to settle. */
  readonly onWaiting?: (content: RulesFileContent) => void;
}

export async function readSettledRulesFile(
  file: string,
  options: SettleOptions,
): Promise<SettledRead> {
  const maxReads = options.maxReads ?? 20;
  try {
    let seen = await readContent(file);
    if (options.settleMs === 0 || seen.sha256 === options.served)
      return { ok: true, content: seen };
    for (let reads = 1; reads < maxReads; reads += 1) {
      options.onWaiting?.(seen);
      await sleep(options.settleMs);
      const again = await readContent(file);
      if (again.sha256 === seen.sha256) return { ok: true, content: again };
      seen = again;
    }
    return {
      ok: false,
      error: new Error(`still changing after ${maxReads} reads ${options.settleMs} ms apart`),
    };
  } catch (error) {
    return { ok: false, error: error as NodeJS.ErrnoException };
  }
}

async function readContent(file: string): Promise<RulesFileContent> {
  const handle = await open(file, 'r');
  try {
    const data = await handle.readFile();
    const info = await handle.stat();
    return {
      text: data.toString('utf8'),
      sha256: createHash('sha256').update(data).digest('hex'),
      bytes: data.length,
      mtime: info.mtime,
    };
  } finally {
    await handle.close();
  }
}
