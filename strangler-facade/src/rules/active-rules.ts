/**
 * The rule table in service, and its history: which version of the file it came from (a
 * counter and a content hash), when it was loaded, and the last reload error.
 *
 * A reload swaps ONE reference to an immutable snapshot, so a request (which reads `current`
 * once) sees either the old table or the new one, never half of each. An invalid file is
 * refused and recorded; the last good table keeps serving. Content is read only once it has
 * settled (`settled-rules-file.ts`): a file being written in place is never loaded half-way, and
 * `pending` says what is waiting meanwhile.
 */
import type { CompiledRuleTable } from './compile-rules.js';
import { parseRulesText, readErrorMessage, type RulesFileResult } from './read-rules-file.js';
import { readSettledRulesFile, type RulesFileContent } from './settled-rules-file.js';

/** Which file content a table came from (or is waiting to settle), as `/status` shows it. */
export interface RulesFileVersion {
  readonly sha256: string;
  readonly bytes: number;
  readonly mtime: Date;
}

export interface LoadedRules {
  readonly table: CompiledRuleTable;
  /** 1 for the table loaded at start-up, +1 per accepted change. */
  readonly version: number;
  readonly hash: string;
  readonly loadedAt: Date;
  /** The file content this table was compiled from. */
  readonly file: RulesFileVersion;
}

/** New content seen on disk that has not settled yet (a writer may still be at work). */
export interface PendingRules extends RulesFileVersion {
  readonly since: Date;
}

export interface ActiveRulesOptions {
  /** Content must read the same twice this far apart before it is used (0 = read once). */
  readonly settleMs?: number;
}

/** The default settle interval: longer than a writer's pause between two writes of one save. */
export const DEFAULT_SETTLE_MS = 300;

export interface ReloadError {
  readonly errors: readonly string[];
  /** Hash of the refused content, or null when the file could not be read at all. */
  readonly hash: string | null;
  readonly at: Date;
}

export type ReloadOutcome = 'loaded' | 'unchanged' | 'refused';

export interface ActiveRulesEvents {
  onLoaded?(rules: LoadedRules): void;
  onRefused?(error: ReloadError): void;
}

export class ActiveRules {
  #current: LoadedRules;
  #lastError: ReloadError | null = null;
  #reloading: Promise<ReloadOutcome> | null = null;
  #reloadAgain = false;
  #pending: PendingRules | null = null;

  private constructor(
    readonly file: string,
    readonly sourceName: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly events: ActiveRulesEvents,
    private readonly settleMs: number,
    first: LoadedRules,
  ) {
    this.#current = first;
  }

  /** Loads the file once; rejects with every validation message when it is not usable. */
  static async load(
    file: string,
    sourceName: string,
    env: Readonly<Record<string, string | undefined>>,
    events: ActiveRulesEvents = {},
    options: ActiveRulesOptions = {},
  ): Promise<ActiveRules> {
    const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    const read = await readSettledRulesFile(file, { settleMs });
    if (!read.ok) throw new RulesLoadError([readErrorMessage(read.error, sourceName)]);
    const result = parseRulesText(read.content.text, sourceName, env);
    if (!result.ok) throw new RulesLoadError(result.errors);
    const first: LoadedRules = Object.freeze({
      table: result.table,
      version: 1,
      hash: result.hash,
      loadedAt: new Date(),
      file: fileVersion(read.content),
    });
    return new ActiveRules(file, sourceName, env, events, settleMs, first);
  }

  /** The snapshot in service. Read it ONCE per request. */
  get current(): LoadedRules {
    return this.#current;
  }

  get lastError(): ReloadError | null {
    return this.#lastError;
  }

  /** New content waiting to settle, or null. */
  get pending(): PendingRules | null {
    return this.#pending;
  }

  /**
   * Re-reads the file and swaps in the new table when it is valid and different. Calls made while
   * a reload runs coalesce into one more reload after it, so the newest content always wins.
   */
  reload(): Promise<ReloadOutcome> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    const run = async (): Promise<ReloadOutcome> => {
      let outcome: ReloadOutcome;
      do {
        this.#reloadAgain = false;
        outcome = await this.#reloadOnce();
      } while (this.#reloadAgain);
      return outcome;
    };
    this.#reloading = run().finally(() => {
      this.#reloading = null;
    });
    return this.#reloading;
  }

  async #reloadOnce(): Promise<ReloadOutcome> {
    const read = await readSettledRulesFile(this.file, {
      settleMs: this.settleMs,
      served: this.#current.file.sha256,
      onWaiting: (content) => {
        if (this.#pending?.sha256 === content.sha256) return;
        this.#pending = Object.freeze({ ...fileVersion(content), since: new Date() });
      },
    });
    this.#pending = null;
    if (read.ok && read.content.sha256 === this.#current.file.sha256) {
      this.#lastError = null; // the content in service (again): nothing to swap
      return 'unchanged';
    }
    if (!read.ok) {
      return this.#refuse({
        ok: false,
        errors: [readErrorMessage(read.error, this.sourceName)],
        hash: null,
      });
    }
    const result = parseRulesText(read.content.text, this.sourceName, this.env);
    if (result.hash !== null && result.hash === this.#current.hash) {
      // Back to the content in service (e.g. a bad edit was undone): nothing to swap.
      this.#lastError = null;
      return 'unchanged';
    }
    if (!result.ok) return this.#refuse(result);
    const next: LoadedRules = Object.freeze({
      table: result.table,
      version: this.#current.version + 1,
      hash: result.hash,
      loadedAt: new Date(),
      file: fileVersion(read.content),
    });
    this.#current = next; // the atomic swap
    this.#lastError = null;
    this.events.onLoaded?.(next);
    return 'loaded';
  }

  #refuse(result: Extract<RulesFileResult, { ok: false }>): ReloadOutcome {
    if (this.#lastError !== null && this.#lastError.hash === result.hash) return 'refused';
    const error: ReloadError = Object.freeze({
      errors: result.errors,
      hash: result.hash,
      at: new Date(),
    });
    this.#lastError = error;
    this.events.onRefused?.(error);
    return 'refused';
  }
}

function fileVersion(content: RulesFileContent): RulesFileVersion {
  return { sha256: content.sha256, bytes: content.bytes, mtime: content.mtime };
}

export class RulesLoadError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`invalid rules file:\n  ${errors.join('\n  ')}`);
    this.name = 'RulesLoadError';
  }
}
