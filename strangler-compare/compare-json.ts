/**
 * Field-by-field comparison of two parsed JSON values under compiled body rules (ignored paths,
 * unordered arrays, numeric tolerance). Walks both trees once, side by side; reads, never copies.
 *
 * Decisions:
 * - JSON `null` and an absent member are different: absent in the candidate is `missing`, absent
 *   in the primary is `extra`; `null` against any other value is `type`.
 * - Object member order is ignored unless `keyOrder` is on (then a different order is `order`).
 * - Ordered arrays are compared index by index; when that finds differences but both arrays hold
 *   the same elements (as a multiset, ignoring ignored paths), one `order` difference replaces them.
 * - Unordered arrays are matched as multisets: by the declared key member when given (duplicate
 *   keys pair up in order of appearance; elements without the key fall back to equality),
 *   otherwise by deep equality. Matched pairs are compared field by field under the primary's
 *   index; unmatched primary elements are `missing`, unmatched candidate elements `extra`.
 */
import { ABSENT, DifferenceKind, RawDifference } from './difference.js';
import { PathSegment } from './json-path.js';
import { jsonTypeOf } from './json-value.js';
import { PathRuleSet, PathState } from './path-rules.js';

export interface NumericTolerance {
  /** Numbers closer than this are equal. */
  readonly absolute?: number;
  /** Numbers within this fraction of the larger magnitude are equal (0.01 = 1 %). */
  readonly relative?: number;
}

export type BodyRule =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'unordered'; readonly key?: string }
  | { readonly kind: 'tolerance'; readonly tolerance: NumericTolerance };

export interface BodyRules {
  readonly paths: PathRuleSet<BodyRule>;
  /** Tolerance for every number not covered by a `tolerance` path rule. */
  readonly tolerance?: NumericTolerance;
  /** Whether any tolerance is configured at all (enables tolerant element pairing). */
  readonly anyTolerance: boolean;
  readonly keyOrder: boolean;
  /** Containers nested deeper than this are compared as a whole. */
  readonly maxDepth: number;
}

/** Leftover elements of unordered arrays are paired by tolerant comparison up to this many. */
const MAX_TOLERANT_PAIRING = 64;

const NO_ACTIONS: readonly BodyRule[] = Object.freeze([]);

const hasOwn = (object: object, key: string): boolean => Object.hasOwn(object, key);

/** Differences between two parsed JSON values; `ABSENT` stands for "no body". */
export function compareJsonValues(
  primary: unknown,
  candidate: unknown,
  rules: BodyRules,
): RawDifference[] {
  return new JsonWalk(rules).run(primary, candidate);
}

class JsonWalk {
  private readonly differences: RawDifference[] = [];
  private readonly path: PathSegment[] = [];
  private readonly paths: PathRuleSet<BodyRule>;

  constructor(private readonly rules: BodyRules) {
    this.paths = rules.paths;
  }

  run(primary: unknown, candidate: unknown): RawDifference[] {
    const state = this.paths.root;
    const actions = this.actionsAt(state);
    if (isIgnored(actions)) return this.differences;
    if (primary === ABSENT && candidate === ABSENT) return this.differences;
    if (primary === ABSENT) this.record('extra', ABSENT, candidate);
    else if (candidate === ABSENT) this.record('missing', primary, ABSENT);
    else this.node(primary, candidate, state, actions, 0);
    return this.differences;
  }

  private actionsAt(state: PathState): readonly BodyRule[] {
    return state.length === 0 ? NO_ACTIONS : this.paths.actionsAt(state);
  }

  private record(
    kind: DifferenceKind,
    primary: unknown,
    candidate: unknown,
    detail?: string,
  ): void {
    const difference: RawDifference =
      detail === undefined
        ? { kind, at: this.path.slice(), primary, candidate }
        : { kind, at: this.path.slice(), primary, candidate, detail };
    this.differences.push(difference);
  }

  private node(
    primary: unknown,
    candidate: unknown,
    state: PathState,
    actions: readonly BodyRule[],
    depth: number,
  ): void {
    const type = jsonTypeOf(primary);
    if (type !== jsonTypeOf(candidate)) {
      this.record('type', primary, candidate);
      return;
    }
    switch (type) {
      case 'object':
      case 'array':
        if (depth >= this.rules.maxDepth) {
          if (!sameAsWhole(primary, candidate)) {
            const note = `nested deeper than ${this.rules.maxDepth} levels: compared as a whole`;
            this.record('value', primary, candidate, note);
          }
        } else if (type === 'object') {
          this.objects(
            primary as Record<string, unknown>,
            candidate as Record<string, unknown>,
            state,
            depth,
          );
        } else {
          const unordered = findUnordered(actions);
          if (unordered) {
            this.unordered(
              primary as unknown[],
              candidate as unknown[],
              state,
              unordered.key,
              depth,
            );
          } else this.ordered(primary as unknown[], candidate as unknown[], state, depth);
        }
        return;
      case 'number':
        if (
          primary !== candidate &&
          !this.withinTolerance(primary as number, candidate as number, actions)
        ) {
          this.record('value', primary, candidate);
        }
        return;
      default:
        if (primary !== candidate) this.record('value', primary, candidate);
    }
  }

  private withinTolerance(a: number, b: number, actions: readonly BodyRule[]): boolean {
    let tolerance = this.rules.tolerance;
    for (const action of actions) if (action.kind === 'tolerance') tolerance = action.tolerance;
    if (tolerance === undefined) return false;
    const delta = Math.abs(a - b);
    if (tolerance.absolute !== undefined && delta <= tolerance.absolute) return true;
    return (
      tolerance.relative !== undefined &&
      delta <= tolerance.relative * Math.max(Math.abs(a), Math.abs(b))
    );
  }

  private objects(
    primary: Record<string, unknown>,
    candidate: Record<string, unknown>,
    state: PathState,
    depth: number,
  ): void {
    const { paths } = this;
    for (const key of Object.keys(primary)) {
      const childState = paths.advance(state, key);
      const childActions = this.actionsAt(childState);
      if (isIgnored(childActions)) continue;
      this.path.push(key);
      if (hasOwn(candidate, key)) {
        this.node(primary[key], candidate[key], childState, childActions, depth + 1);
      } else {
        this.record('missing', primary[key], ABSENT);
      }
      this.path.pop();
    }
    for (const key of Object.keys(candidate)) {
      if (hasOwn(primary, key)) continue;
      if (isIgnored(this.actionsAt(paths.advance(state, key)))) continue;
      this.path.push(key);
      this.record('extra', ABSENT, candidate[key]);
      this.path.pop();
    }
    if (this.rules.keyOrder) this.memberOrder(primary, candidate, state);
  }

  private memberOrder(
    primary: Record<string, unknown>,
    candidate: Record<string, unknown>,
    state: PathState,
  ): void {
    const shared = (object: Record<string, unknown>, other: Record<string, unknown>): string[] =>
      Object.keys(object).filter(
        (key) => hasOwn(other, key) && !isIgnored(this.actionsAt(this.paths.advance(state, key))),
      );
    const primaryOrder = shared(primary, candidate);
    const candidateOrder = shared(candidate, primary);
    if (primaryOrder.some((key, index) => candidateOrder[index] !== key)) {
      this.record('order', primaryOrder, candidateOrder, 'members in a different order');
    }
  }

  private ordered(primary: unknown[], candidate: unknown[], state: PathState, depth: number): void {
    const { paths } = this;
    const start = this.differences.length;
    const shared = Math.min(primary.length, candidate.length);
    for (let index = 0; index < shared; index++) {
      const childState = paths.advance(state, index);
      const childActions = this.actionsAt(childState);
      if (isIgnored(childActions)) continue;
      this.path.push(index);
      this.node(primary[index], candidate[index], childState, childActions, depth + 1);
      this.path.pop();
    }
    for (let index = shared; index < primary.length; index++) {
      if (isIgnored(this.actionsAt(paths.advance(state, index)))) continue;
      this.path.push(index);
      this.record('missing', primary[index], ABSENT);
      this.path.pop();
    }
    for (let index = shared; index < candidate.length; index++) {
      if (isIgnored(this.actionsAt(paths.advance(state, index)))) continue;
      this.path.push(index);
      this.record('extra', ABSENT, candidate[index]);
      this.path.pop();
    }
    if (
      this.differences.length > start &&
      primary.length === candidate.length &&
      this.sameMultiset(primary, candidate, state, depth)
    ) {
      this.differences.length = start;
      this.record('order', primary, candidate, 'same elements in a different order');
    }
  }

  private unordered(
    primary: unknown[],
    candidate: unknown[],
    state: PathState,
    key: string | undefined,
    depth: number,
  ): void {
    if (key === undefined) {
      this.matchByEquality(
        primary,
        range(primary.length),
        candidate,
        range(candidate.length),
        state,
        depth,
      );
      return;
    }
    // Index the candidate by key; duplicates queue up in order of appearance.
    const byKey = new Map<string, { indices: number[]; next: number }>();
    const keylessCandidate: number[] = [];
    for (let index = 0; index < candidate.length; index++) {
      const value = keyValue(candidate[index], key);
      if (value === undefined) {
        keylessCandidate.push(index);
        continue;
      }
      const queue = byKey.get(value);
      if (queue) queue.indices.push(index);
      else byKey.set(value, { indices: [index], next: 0 });
    }
    const keylessPrimary: number[] = [];
    const consumed = new Uint8Array(candidate.length);
    for (let index = 0; index < primary.length; index++) {
      const value = keyValue(primary[index], key);
      if (value === undefined) {
        keylessPrimary.push(index);
        continue;
      }
      const childState = this.paths.advance(state, index);
      const childActions = this.actionsAt(childState);
      const queue = byKey.get(value);
      const match =
        queue && queue.next < queue.indices.length ? queue.indices[queue.next++] : undefined;
      if (match !== undefined) consumed[match] = 1;
      if (isIgnored(childActions)) continue;
      this.path.push(index);
      if (match === undefined) this.record('missing', primary[index], ABSENT);
      else this.node(primary[index], candidate[match], childState, childActions, depth + 1);
      this.path.pop();
    }
    const extras: number[] = [];
    for (const { indices } of byKey.values()) {
      for (const index of indices) {
        if (consumed[index] || isIgnored(this.actionsAt(this.paths.advance(state, index))))
          continue;
        extras.push(index);
      }
    }
    extras.sort((a, b) => a - b);
    for (const index of extras) {
      this.path.push(index);
      this.record('extra', ABSENT, candidate[index]);
      this.path.pop();
    }
    if (keylessPrimary.length > 0 || keylessCandidate.length > 0) {
      this.matchByEquality(primary, keylessPrimary, candidate, keylessCandidate, state, depth);
    }
  }

  /** Pairs elements by deep equality (then, with tolerance, by tolerant comparison). */
  private matchByEquality(
    primary: unknown[],
    primaryIndices: readonly number[],
    candidate: unknown[],
    candidateIndices: readonly number[],
    state: PathState,
    depth: number,
  ): void {
    const { paths } = this;
    const byValue = new Map<string, { indices: number[]; next: number }>();
    for (const index of candidateIndices) {
      const childState = paths.advance(state, index);
      if (isIgnored(this.actionsAt(childState))) continue;
      const text = this.canonical(candidate[index], childState, depth + 1);
      const queue = byValue.get(text);
      if (queue) queue.indices.push(index);
      else byValue.set(text, { indices: [index], next: 0 });
    }
    const leftPrimary: number[] = [];
    for (const index of primaryIndices) {
      const childState = paths.advance(state, index);
      if (isIgnored(this.actionsAt(childState))) continue;
      const queue = byValue.get(this.canonical(primary[index], childState, depth + 1));
      if (queue && queue.next < queue.indices.length) queue.next++;
      else leftPrimary.push(index);
    }
    let leftCandidate: number[] = [];
    for (const { indices, next } of byValue.values()) {
      for (let i = next; i < indices.length; i++) leftCandidate.push(indices[i]);
    }
    leftCandidate.sort((a, b) => a - b);
    if (
      this.rules.anyTolerance &&
      leftPrimary.length > 0 &&
      leftCandidate.length > 0 &&
      leftPrimary.length <= MAX_TOLERANT_PAIRING &&
      leftCandidate.length <= MAX_TOLERANT_PAIRING
    ) {
      const stillLeft: number[] = [];
      for (const index of leftPrimary) {
        const pair = leftCandidate.findIndex((other) =>
          this.equalUnderRules(
            primary[index],
            candidate[other],
            paths.advance(state, index),
            index,
            depth,
          ),
        );
        if (pair === -1) stillLeft.push(index);
        else leftCandidate = leftCandidate.filter((_, i) => i !== pair);
      }
      leftPrimary.length = 0;
      leftPrimary.push(...stillLeft);
    }
    for (const index of leftPrimary) {
      this.path.push(index);
      this.record('missing', primary[index], ABSENT);
      this.path.pop();
    }
    for (const index of leftCandidate) {
      this.path.push(index);
      this.record('extra', ABSENT, candidate[index]);
      this.path.pop();
    }
  }

  /** Whether two elements compare equal under every rule (runs the walk, then takes it back). */
  private equalUnderRules(
    primary: unknown,
    candidate: unknown,
    childState: PathState,
    index: number,
    depth: number,
  ): boolean {
    const mark = this.differences.length;
    this.path.push(index);
    this.node(primary, candidate, childState, this.actionsAt(childState), depth + 1);
    this.path.pop();
    const equal = this.differences.length === mark;
    this.differences.length = mark;
    return equal;
  }

  private sameMultiset(
    primary: unknown[],
    candidate: unknown[],
    state: PathState,
    depth: number,
  ): boolean {
    const counts = new Map<string, number>();
    for (let index = 0; index < primary.length; index++) {
      const childState = this.paths.advance(state, index);
      if (isIgnored(this.actionsAt(childState))) continue;
      const text = this.canonical(primary[index], childState, depth + 1);
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    for (let index = 0; index < candidate.length; index++) {
      const childState = this.paths.advance(state, index);
      if (isIgnored(this.actionsAt(childState))) continue;
      const text = this.canonical(candidate[index], childState, depth + 1);
      const count = counts.get(text);
      if (!count) return false;
      counts.set(text, count - 1);
    }
    return true;
  }

  /**
   * A text that is equal for two values exactly when they compare equal without tolerance:
   * members sorted (unless `keyOrder`), ignored paths left out, unordered arrays sorted.
   */
  private canonical(value: unknown, state: PathState, depth: number): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
    if (depth >= this.rules.maxDepth) return wholeText(value);
    const { paths } = this;
    if (Array.isArray(value)) {
      const parts: string[] = [];
      for (let index = 0; index < value.length; index++) {
        const childState = paths.advance(state, index);
        if (isIgnored(this.actionsAt(childState))) parts.push('~');
        else parts.push(this.canonical(value[index], childState, depth + 1));
      }
      if (findUnordered(this.actionsAt(state))) parts.sort();
      return `[${parts.join(',')}]`;
    }
    const keys = Object.keys(value);
    if (!this.rules.keyOrder) keys.sort();
    let text = '{';
    for (const key of keys) {
      const childState = paths.advance(state, key);
      if (isIgnored(this.actionsAt(childState))) continue;
      const member = this.canonical((value as Record<string, unknown>)[key], childState, depth + 1);
      text += `${JSON.stringify(key)}:${member},`;
    }
    return text + '}';
  }
}

function isIgnored(actions: readonly BodyRule[]): boolean {
  for (const action of actions) if (action.kind === 'ignore') return true;
  return false;
}

function findUnordered(
  actions: readonly BodyRule[],
): { readonly kind: 'unordered'; readonly key?: string } | undefined {
  for (const action of actions) if (action.kind === 'unordered') return action;
  return undefined;
}

/** The key of an element of a keyed unordered array, or undefined when it has none. */
function keyValue(element: unknown, key: string): string | undefined {
  if (element === null || typeof element !== 'object' || Array.isArray(element)) return undefined;
  if (!hasOwn(element, key)) return undefined;
  const value = (element as Record<string, unknown>)[key];
  return typeof value === 'string' ? `s${value}` : `j${wholeText(value)}`;
}

let tooDeep = 0;

function wholeText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return `\u0000too deep ${++tooDeep}`; // never equal to another value
  }
}

/** Deep equality without recursion (for subtrees below `maxDepth`); member order ignored. */
function sameAsWhole(primary: unknown, candidate: unknown): boolean {
  const stack: unknown[] = [primary, candidate];
  while (stack.length > 0) {
    const b = stack.pop();
    const a = stack.pop();
    if (a === b) continue;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) stack.push(a[i], b[i]);
      continue;
    }
    if (Array.isArray(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) {
      if (!hasOwn(b, key)) return false;
      stack.push((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
    }
  }
  return true;
}

function range(length: number): number[] {
  return Array.from({ length }, (_, index) => index);
}
