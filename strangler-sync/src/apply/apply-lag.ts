/**
 * Per pipeline, the source commit time (ms) of the oldest streamed change event that is in an
 * open target transaction: the oldest source transaction received and not yet committed in the
 * target (the stream delivers transactions in commit order, so every later one is younger).
 * TargetBatch notes it; the running pipeline turns it into lag seconds.
 */
const oldestPending = new Map<string, number>();

export function notePendingCommit(pipeline: string, commitTimeMs: number): void {
  if (!oldestPending.has(pipeline)) oldestPending.set(pipeline, commitTimeMs);
}

export function clearPendingCommit(pipeline: string): void {
  oldestPending.delete(pipeline);
}

/** Seconds since the oldest unapplied source commit this process holds; 0 when none. */
export function pendingLagSeconds(pipeline: string, now = Date.now()): number {
  const since = oldestPending.get(pipeline);
  return since === undefined ? 0 : Math.max(0, (now - since) / 1000);
}
