/**
 * What a comparison reports: the kinds of difference and the shape of one difference.
 */
import { PathSegment } from './json-path.js';

/**
 * - `missing`: present in the primary, absent in the candidate (a JSON `null` is present);
 * - `extra`: absent in the primary, present in the candidate;
 * - `value`: same JSON type, different value (also: different non-JSON bodies);
 * - `type`: different JSON type (`1` vs `"1"`, `null` vs `0`, JSON vs not JSON);
 * - `order`: an ordered array (or, with `keyOrder`, an object) holds the same elements in a
 *   different order;
 * - `status`: different status codes;
 * - `header`: a declared header differs (or is absent on one side).
 */
export type DifferenceKind = 'missing' | 'extra' | 'value' | 'type' | 'order' | 'status' | 'header';

export const DIFFERENCE_KINDS: readonly DifferenceKind[] = Object.freeze([
  'missing',
  'extra',
  'value',
  'type',
  'order',
  'status',
  'header',
]);

/** One difference, bounded for storage and serialisable as JSON. */
export interface Difference {
  readonly kind: DifferenceKind;
  /**
   * Normalised location, every array index written `[*]` (`$.items[*].likeCount`): the key that
   * aggregates the same field across comparisons. `status` for the status code and
   * `headers.<lower-case name>` for a header.
   */
  readonly path: string;
  /** Concrete location (`$.items[3].likeCount`); the same as `path` outside the body. */
  readonly concretePath: string;
  /** The primary's value as JSON text, cut to `maxValueChars`; absent when the value is absent. */
  readonly primary?: string;
  /** The candidate's value as JSON text, cut to `maxValueChars`; absent when the value is absent. */
  readonly candidate?: string;
  /** A human note, e.g. where two text bodies first differ. */
  readonly detail?: string;
}

/** Marks a value that is absent on one side (an absent key, element, header or body). */
export const ABSENT: unique symbol = Symbol('absent');

/** A difference as found, before formatting and truncation (internal). */
export interface RawDifference {
  readonly kind: DifferenceKind;
  /** Location in the body, or a pseudo path (`status`, `headers.etag`) outside it. */
  readonly at: readonly PathSegment[] | string;
  readonly primary: unknown;
  readonly candidate: unknown;
  readonly detail?: string;
}
