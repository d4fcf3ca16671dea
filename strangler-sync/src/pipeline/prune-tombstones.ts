import { readSyncState, syncTables } from '../apply/sync-bookkeeping.js';
import { readSlot } from '../capture/replication-slot.js';
import { compareLsn, normaliseLsn, type Lsn } from '../lsn.js';
import type { PipelineDefinition } from '../pipeline-definition/pipeline-definition.schema.js';
import {
  compileMappings,
  connect,
  resolveUrls,
  type PipelineUrls,
} from './pipeline-connections.js';

/**
 * Deletes tombstones (row versions of deleted rows) that can no longer matter. A tombstone at
 * position P only stops an OLDER write of its key: a replayed stream change (the stream never
 * goes back before the slot's confirmed position nor the target's applied position) or a row
 * from a snapshot taken before P (a running backfill or resumed copy, visible as a temporary
 * slot of this pipeline). Below the smallest of those positions a tombstone guards nothing.
 */
export async function pruneTombstones(
  definition: PipelineDefinition,
  urls: PipelineUrls = {},
): Promise<{ pruned: number; below: Lsn | null }> {
  const { sourceUrl, targetUrl } = resolveUrls(definition, urls);
  const source = await connect(sourceUrl);
  const target = await connect(targetUrl);
  try {
    const state = await readSyncState(target, definition.target.schema, definition.name);
    const slot = await readSlot(source, definition.slot);
    if (!state || state.phase !== 'streaming' || !state.appliedLsn || !slot?.confirmedFlushLsn)
      return { pruned: 0, below: null };
    const snapshots = await source.query<{ lsn: string | null }>(
      `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots
        WHERE temporary AND starts_with(slot_name, $1)`,
      [`${definition.slot}_`],
    );
    let below = normaliseLsn(slot.confirmedFlushLsn);
    for (const lsn of [state.appliedLsn, ...snapshots.rows.map((r) => r.lsn)])
      if (lsn === null)
        return { pruned: 0, below: null }; // a snapshot still being set up
      else if (compareLsn(normaliseLsn(lsn), below) < 0) below = normaliseLsn(lsn);
    const mappings = await compileMappings(definition, source, target);
    const result = await target.query(
      `DELETE FROM ${syncTables(definition.target.schema).versions}
        WHERE deleted AND source_lsn < $1::pg_lsn AND target_table = ANY ($2::text[])`,
      [below, mappings.map((m) => m.targetName)],
    );
    return { pruned: result.rowCount ?? 0, below };
  } finally {
    await source.end();
    await target.end();
  }
}
