/**
 * `X-Request-Id`: a client's id is kept when well-formed (1 to 128 characters of
 * `[A-Za-z0-9._-]`, one header), so ids can be correlated across hops; otherwise a new UUID.
 */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;

export function isWellFormedRequestId(value: unknown): value is string {
  return typeof value === 'string' && WELL_FORMED.test(value);
}

export function requestIdFor(clientValue: string | string[] | undefined): string {
  return isWellFormedRequestId(clientValue) ? clientValue : randomUUID();
}
