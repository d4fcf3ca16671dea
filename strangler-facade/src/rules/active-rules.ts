/**
 * The rule table in service, and its history: which version of the file it came from (a
 * counter and a content hash), when it was loaded, and the last reload error.
 *
 * A reload swaps ONE reference to an immutable snapshot, so a request (which reads `current`
 * once) sees either the old table or the new one, never half of each. An invalid file is
 * refused and recorded; the last good table keeps serving.
 */
import type { CompiledRuleTable } from './compile-rules.js';
import { readRulesFile } from './read-rules-file.js';

export interface LoadedRules {
  readonly table: CompiledRuleTable;
  /** 1 for the table loaded at start-up, +1 per accepted change. */
  readonly version: number;
  readonly hash: string;
  readonly loadedAt: Date;
}

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

  private constructor(
    readonly file: string,
    readonly sourceName: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly events: ActiveRulesEvents,
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
  ): Promise<ActiveRules> {
    const result = await readRulesFile(file, sourceName, env);
    if (!result.ok) throw new RulesLoadError(result.errors);
    const first: LoadedRules = Object.freeze({
      table: result.table,
      version: 1,
      hash: result.hash,
      loadedAt: new Date(),
    });
    return new ActiveRules(file, sourceName, env, events, first);
  }

  /** The snapshot in service. Read it ONCE per request. */
  get current(): LoadedRules {
    return this.#current;
  }

  get lastError(): ReloadError | null {
    return this.#lastError;
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
    const result = await readRulesFile(this.file, this.sourceName, this.env);
    if (result.hash !== null && result.hash === this.#current.hash) {
      // Back to the content in service (e.g. a bad edit was undone): nothing to swap.
      this.#lastError = null;
      return 'unchanged';
    }
    if (!result.ok) {
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
    const next: LoadedRules = Object.freeze({
      table: result.table,
      version: this.#current.version + 1,
      hash: result.hash,
      loadedAt: new Date(),
    });
    this.#current = next; // the atomic swap
    this.#lastError = null;
    this.events.onLoaded?.(next);
    return 'loaded';
  }
}

export class RulesLoadError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`invalid rules file:\n  ${errors.join('\n  ')}`);
    this.name = 'RulesLoadError';
  }
}
