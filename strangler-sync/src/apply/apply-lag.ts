/**
 * Per pipeline and per open target transaction (a TargetBatch: one for the in-process apply,
 * one per partition batch being applied for the Kafka apply), the source commit time (ms) of
 * the oldest streamed change event it holds. The oldest over all of them is the oldest source
 * change received and not yet committed in the target; the running pipeline turns it into lag
 * seconds.
 */
const oldestPending = new Map<string, Map<object, number>>();

export function notePendingCommit(pipeline: string, holder: object, commitTimeMs: number): void {
  let holders = oldestPending.get(pipeline);
  if (!holders) {
    holders = new Map();
    oldestPending.set(pipeline, holders);
  }
  if (!holders.has(holder)) holders.set(holder, commitTimeMs);
}

export function clearPendingCommit(pipeline: string, holder: object): void {
  const holders = oldestPending.get(pipeline);
  holders?.delete(holder);
  if (holders?.size === 0) oldestPending.delete(pipeline);
}

/** Seconds since the oldest unapplied source commit this process holds; 0 when none. */
export function pendingLagSeconds(pipeline: string, now = Date.now()): number {
  const holders = oldestPending.get(pipeline);
  if (!holders || holders.size === 0) return 0;
  return Math.max(0, (now - Math.min(...holders.values())) / 1000);
}
