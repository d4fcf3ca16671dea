/**
 * PostgreSQL log sequence numbers ("16/B374D848") as the wire and the catalogs write them, and as
 * bigints for comparison and arithmetic.
 */
export type Lsn = string;

export const ZERO_LSN: Lsn = '0/0';

export function lsnToBigInt(lsn: Lsn): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new Error(`not a PostgreSQL LSN: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function bigIntToLsn(value: bigint): Lsn {
  const high = (value >> 32n) & 0xffffffffn;
  const low = value & 0xffffffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

export function compareLsn(a: Lsn, b: Lsn): number {
  const x = lsnToBigInt(a);
  const y = lsnToBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxLsn(...lsns: (Lsn | null | undefined)[]): Lsn {
  let best: Lsn = ZERO_LSN;
  for (const lsn of lsns) if (lsn && compareLsn(lsn, best) > 0) best = lsn;
  return best;
}

/** Normalises an LSN (upper-case hex, no leading zeros) so equal positions compare equal as text. */
export function normaliseLsn(lsn: Lsn): Lsn {
  return bigIntToLsn(lsnToBigInt(lsn));
}

/** An LSN as the number Debezium writes in `source.lsn` (exact below 2^53: 8 PiB of WAL). */
export function lsnToNumber(lsn: Lsn): number {
  return Number(lsnToBigInt(lsn));
}
