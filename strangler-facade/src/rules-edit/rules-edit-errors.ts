/**
 * Why an edit of `routes.yaml` was not made. Every class extends the loader's `RulesError`, so a
 * caller that only wants "the messages" catches one type and prints `error.errors`.
 */
import { RulesError } from '../rules/load-rules.js';

/** The rule named in the edit is not in the file. */
export class UnknownRuleError extends RulesError {
  constructor(
    readonly rule: string,
    readonly known: readonly string[],
    sourceName: string,
  ) {
    super([`${sourceName}: no rule named "${rule}" (rules: ${known.join(', ') || 'none'})`]);
    this.name = 'UnknownRuleError';
  }
}

/** The edit itself makes no sense (e.g. a canary percentage on a rule without a canary). */
export class InvalidEditError extends RulesError {
  constructor(message: string) {
    super([message]);
    this.name = 'InvalidEditError';
  }
}

/** The edited file would not load: `errors` are the facade loader's `file:line:col` messages. */
export class RulesEditRefusedError extends RulesError {
  constructor(
    errors: readonly string[],
    /** The text that was refused (never written). */
    readonly refusedText: string,
  ) {
    super(errors);
    this.name = 'RulesEditRefusedError';
  }
}

/** The file changed on disk between our read and our write; nothing was written. */
export class RulesFileChangedError extends RulesError {
  constructor(readonly file: string) {
    super([
      `${file}: changed on disk while it was being edited (nothing written; run the edit again)`,
    ]);
    this.name = 'RulesFileChangedError';
  }
}

/** Another editor holds the edit lock (`.routes.yaml.lock`) for too long; nothing was written. */
export class RulesFileLockedError extends RulesError {
  constructor(
    readonly file: string,
    readonly lockFile: string,
  ) {
    super([
      `${file}: being edited by another process (lock ${lockFile}); nothing written. ` +
        'Run the edit again, or remove the lock file if no edit is running.',
    ]);
    this.name = 'RulesFileLockedError';
  }
}
