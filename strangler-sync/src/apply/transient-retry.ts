import { isTransient } from './change-applier.js';

export interface TransientRetryOptions {
  /** Tries in all, the first included (default 5). */
  attempts?: number;
  /** Pause before the second try (default 50 ms); doubled after each, with jitter. */
  initialDelayMs?: number;
  /** Told about each failed try that will be tried again. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Checked before each new try: false gives up with the last error (e.g. the pipeline stops). */
  shouldContinue?: () => boolean;
}

/**
 * Runs `attempt` until it succeeds, trying again after a transient failure (deadlock,
 * serialization failure, lost connection: `isTransient`) a bounded number of times. Each try
 * must be a whole target transaction that a failure rolled back: row versions make applying the
 * same events again safe. Any other error, or the last transient one, is thrown.
 */
export async function withTransientRetry<T>(
  attempt: (tryNumber: number) => Promise<T>,
  options: TransientRetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  let delayMs = options.initialDelayMs ?? 50;
  for (let tryNumber = 1; ; tryNumber += 1) {
    try {
      return await attempt(tryNumber);
    } catch (error) {
      const more = tryNumber < attempts && (options.shouldContinue?.() ?? true);
      if (!isTransient(error) || !more) throw error;
      const pause = Math.round(delayMs * (0.5 + Math.random() / 2));
      options.onRetry?.(error, tryNumber, pause);
      await new Promise((resolve) => setTimeout(resolve, pause));
      delayMs *= 2;
    }
  }
}
