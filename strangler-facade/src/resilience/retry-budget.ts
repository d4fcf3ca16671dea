/**
 * Per-rule retry budget: over a 10 s sliding window, retries (fallback attempts) may be at most
 * `ratio` × requests, plus a floor of MIN_RETRIES so a quiet rule can still fall back at all.
 * A failing upstream therefore cannot double the load on the fallback (retry storms).
 */
import { SlidingWindow } from './sliding-window.js';

export const RETRY_WINDOW_MS = 10_000;
/** Retries always allowed per window, whatever the ratio (Linkerd's minRetriesPerSecond idea). */
export const MIN_RETRIES = 5;

export class RetryBudgets {
  readonly #windows = new Map<string, SlidingWindow>();

  #window(rule: string): SlidingWindow {
    let window = this.#windows.get(rule);
    if (window === undefined) {
      window = new SlidingWindow(RETRY_WINDOW_MS);
      this.#windows.set(rule, window);
    }
    return window;
  }

  /** Counts one request of the rule (call once per client request that may be retried). */
  recordRequest(rule: string, now: number): void {
    this.#window(rule).add(now, 1, 0);
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryRetry(rule: string, ratio: number, now: number): boolean {
    const window = this.#window(rule);
    const allowed = ratio * window.total(now) + MIN_RETRIES;
    if (window.marked(now) + 1 > allowed) return false;
    window.add(now, 0, 1);
    return true;
  }
}
