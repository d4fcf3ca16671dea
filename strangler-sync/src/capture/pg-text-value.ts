import type { ColumnValue } from '../change-event/change-event.js';

const INT2 = 21;
const INT4 = 23;
const OID = 26;
const BOOL = 16;

/**
 * A value in PostgreSQL text form (as pgoutput and a text-mode query send it) → the change-event
 * value (see change-event.ts): small integers as numbers, booleans as booleans, the rest as text.
 * The same function serves the stream and the snapshot, so both write identical rows and keys.
 */
export function fromPgText(typeOid: number, text: string | null): ColumnValue {
  if (text === null) return null;
  switch (typeOid) {
    case INT2:
    case INT4:
    case OID:
      return Number(text);
    case BOOL:
      return text === 't' || text === 'true';
    default:
      return text;
  }
}

/** A pg type parser that leaves every value as its text form. */
export const keepText = (text: string): string => text;

/** `types` option for pg queries: every column comes back as text. */
export const textTypes = { getTypeParser: () => keepText } as const;
