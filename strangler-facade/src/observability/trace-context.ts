/**
 * W3C Trace Context (`traceparent`): a valid incoming header keeps its trace id and the facade
 * becomes a new span under it; an absent or malformed one starts a new trace. The upstream gets
 * `traceparent: 00-<trace-id>-<facade span id>-<flags>`; `tracestate` passes through untouched.
 */
import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** A pool of random bytes, refilled in 4 KiB blocks: a trace id costs no syscall. */
let pool = randomBytes(4096);
let offset = 0;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

export interface TraceContext {
  readonly traceId: string;
  /** The facade's span, the parent id sent upstream. */
  readonly spanId: string;
  /** The client's span id, or null when the trace started here. */
  readonly parentSpanId: string | null;
  readonly flags: string;
  /** The value sent upstream. */
  readonly traceparent: string;
}

export function traceContextFor(header: string | string[] | undefined): TraceContext {
  const spanId = randomHex(8);
  const found = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  if (
    found !== null &&
    found[1] !== 'ff' &&
    found[2] !== ZERO_TRACE &&
    found[3] !== ZERO_SPAN &&
    // version 00 has exactly four fields
    (found[1] !== '00' || header?.length === 55)
  ) {
    const traceId = found[2] ?? '';
    const flags = found[4] ?? '00';
    return {
      traceId,
      spanId,
      parentSpanId: found[3] ?? null,
      flags,
      traceparent: `00-${traceId}-${spanId}-${flags}`,
    };
  }
  const traceId = randomHex(16);
  return {
    traceId,
    spanId,
    parentSpanId: null,
    flags: '01',
    traceparent: `00-${traceId}-${spanId}-01`,
  };
}
