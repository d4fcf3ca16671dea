/**
 * Logs a warning at most once per interval and counts the ones it swallowed in between, so a
 * broker that stays down does not flood the log (one line per interval, not per request).
 */
export class RateLimitedWarning {
  private lastLoggedAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly log: (message: string) => void,
    private readonly intervalMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(message: string): void {
    const now = this.now();
    if (now - this.lastLoggedAt < this.intervalMs) {
      this.suppressed += 1;
      return;
    }
    const suffix = this.suppressed > 0 ? ` (${this.suppressed} similar warnings suppressed)` : '';
    this.lastLoggedAt = now;
    this.suppressed = 0;
    this.log(`${message}${suffix}`);
  }
}
