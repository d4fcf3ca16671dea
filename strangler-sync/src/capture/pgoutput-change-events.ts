import type { Pgoutput } from 'pg-logical-replication';
import {
  UNAVAILABLE_VALUE,
  deleteEvent,
  insertEvent,
  truncateEvent,
  updateEvent,
  type ChangeEvent,
  type Row,
  type StreamPosition,
} from '../change-event/change-event.js';
import { normaliseLsn } from '../lsn.js';
import { isOriginOf } from '../pipeline-definition/pipeline-definition.schema.js';
import { fromPgText } from './pg-text-value.js';

/** The source transaction being decoded (from its `begin` message). */
export interface SourceTransaction {
  xid: number;
  /** LSN of the commit record (the same in `begin` and `commit`). */
  commitLsn: string;
  commitTimeMs: number;
  /** Events so far (for `transaction.total_order` and the row position). */
  order: number;
  orderByTable: Map<string, number>;
  /** Replication origin the source transaction was committed under (null: a native write). */
  origin: string | null;
  /**
   * Applied by a pipeline listed in `skipAppliedBy` (an echo): it yields no change events, and
   * its commit still moves the pipeline's position past it.
   */
  echo: boolean;
}

export function beginTransaction(message: Pgoutput.MessageBegin): SourceTransaction {
  if (!message.commitLsn) throw new Error('begin message without commit LSN');
  return {
    xid: message.xid,
    commitLsn: normaliseLsn(message.commitLsn),
    commitTimeMs: Number(BigInt(message.commitTime as bigint) / 1000n),
    order: 0,
    orderByTable: new Map(),
    origin: null,
    echo: false,
  };
}

/**
 * pgoutput's Origin message (sent after BEGIN, before any change, for a transaction committed
 * by a session with a replication origin): marks the transaction as an echo when the origin is
 * one of `skipOrigins` or a suffixed form of one (`strangler_cards:backfill:12`). Compared by
 * name, so a pipeline still receives rows that OTHER pipelines applied to its source.
 */
export function noteOrigin(
  transaction: SourceTransaction,
  message: Pgoutput.MessageOrigin,
  skipOrigins: readonly string[],
): void {
  transaction.origin = message.originName;
  transaction.echo = skipOrigins.some((origin) => isOriginOf(message.originName, origin));
}

/**
 * A tuple from pgoutput (values in text form; `undefined` where the server sent the 'u' marker
 * for an unchanged TOAST value) → a change-event row. Unchanged TOAST values become Debezium's
 * unavailable placeholder; with `keyOnly` (REPLICA IDENTITY DEFAULT/INDEX old key), columns the
 * server did not send are left out rather than set to null.
 */
export function rowFromTuple(
  relation: Pgoutput.MessageRelation,
  tuple: Record<string, unknown>,
  keyOnly = false,
): Row {
  const row: Row = {};
  for (const column of relation.columns) {
    if (keyOnly && !relation.keyColumns.includes(column.name)) continue;
    const value = tuple[column.name];
    if (value === undefined) {
      if (!keyOnly) row[column.name] = UNAVAILABLE_VALUE;
      continue;
    }
    row[column.name] = fromPgText(column.typeOid, value as string | null);
  }
  return row;
}

/**
 * Change events for one pgoutput row message (a truncate gives one per table); none for a
 * transaction `noteOrigin` marked as an echo.
 */
export function changeEventsFrom(
  message: Pgoutput.Message,
  messageLsn: string,
  transaction: SourceTransaction,
  pipeline: string,
  db: string,
): ChangeEvent[] {
  if (transaction.echo) return [];
  const position = (relation: Pgoutput.MessageRelation): StreamPosition => {
    const table = `${relation.schema}.${relation.name}`;
    transaction.order += 1;
    const tableOrder = (transaction.orderByTable.get(table) ?? 0) + 1;
    transaction.orderByTable.set(table, tableOrder);
    return {
      txId: transaction.xid,
      lsn: messageLsn,
      commitLsn: transaction.commitLsn,
      commitTimeMs: transaction.commitTimeMs,
      totalOrder: transaction.order,
      tableOrder,
    };
  };
  const at = (relation: Pgoutput.MessageRelation) => ({
    name: pipeline,
    db,
    schema: relation.schema,
    table: relation.name,
  });
  switch (message.tag) {
    case 'insert':
      return [
        insertEvent(
          rowFromTuple(message.relation, message.new),
          at(message.relation),
          position(message.relation),
        ),
      ];
    case 'update': {
      const before = message.old
        ? rowFromTuple(message.relation, message.old)
        : message.key
          ? rowFromTuple(message.relation, message.key, true)
          : null;
      return [
        updateEvent(
          before,
          rowFromTuple(message.relation, message.new),
          at(message.relation),
          position(message.relation),
        ),
      ];
    }
    case 'delete': {
      const before = message.old
        ? rowFromTuple(message.relation, message.old)
        : rowFromTuple(message.relation, message.key ?? {}, true);
      return [deleteEvent(before, at(message.relation), position(message.relation))];
    }
    case 'truncate':
      return message.relations.map((relation) => truncateEvent(at(relation), position(relation)));
    default:
      return [];
  }
}
