/**
 * A set of compiled paths, each carrying an action, matched incrementally while a JSON tree is
 * walked: the walker holds a `PathState` per node and asks for the child's state with
 * `advance(state, key)`. No regular expressions, no string building per node.
 *
 * A state is the list of (rule, step) positions still alive, packed into numbers. Anchored paths
 * (`$.a.b`) die as soon as the walk leaves them, so most of a body is walked with the shared
 * empty state and costs nothing; `..name` positions stay alive everywhere.
 */
import { parseJsonPath, PathSegment, PathStep } from './json-path.js';

export type PathState = readonly number[];

export const EMPTY_STATE: PathState = Object.freeze([]);

export interface PathRule<A> {
  readonly expression: string;
  readonly action: A;
}

export class PathRuleSet<A> {
  private readonly steps: readonly (readonly PathStep[])[];
  private readonly actions: readonly A[];
  private readonly stride: number;
  /** State at the root `$`. */
  readonly root: PathState;

  constructor(rules: readonly PathRule<A>[]) {
    this.steps = rules.map((rule) => parseJsonPath(rule.expression));
    this.actions = rules.map((rule) => rule.action);
    this.stride = Math.max(0, ...this.steps.map((steps) => steps.length)) + 1;
    this.root = rules.length === 0 ? EMPTY_STATE : rules.map((_, index) => index * this.stride);
  }

  get size(): number {
    return this.actions.length;
  }

  /** The state of the child `key` of a node in `state`. */
  advance(state: PathState, key: PathSegment): PathState {
    if (state.length === 0) return EMPTY_STATE;
    let next: number[] | undefined;
    let unchanged = true;
    for (const packed of state) {
      const rule = Math.floor(packed / this.stride);
      const position = packed - rule * this.stride;
      const step = this.steps[rule][position];
      if (step === undefined) {
        unchanged = false; // a completed path has no children
        continue;
      }
      const matched = stepMatches(step, key);
      if (step.descendant && !matched) continue; // stays alive as it is
      unchanged = false;
      break;
    }
    if (unchanged) return state; // only descendant positions that did not match: same state
    for (const packed of state) {
      const rule = Math.floor(packed / this.stride);
      const position = packed - rule * this.stride;
      const step = this.steps[rule][position];
      if (step === undefined) continue;
      if (step.descendant) next = add(next, packed);
      if (stepMatches(step, key)) next = add(next, packed + 1);
    }
    return next ?? EMPTY_STATE;
  }

  /** Actions of the paths that end exactly at a node in `state` (in declaration order). */
  actionsAt(state: PathState): A[] {
    let found: A[] | undefined;
    for (const packed of state) {
      const rule = Math.floor(packed / this.stride);
      const position = packed - rule * this.stride;
      if (this.steps[rule].length === position) {
        (found ??= []).push(this.actions[rule]);
      }
    }
    return found ?? [];
  }

  /** Whether any path ends exactly at a node in `state`. */
  matchesAt(state: PathState): boolean {
    for (const packed of state) {
      const rule = Math.floor(packed / this.stride);
      if (this.steps[rule].length === packed - rule * this.stride) {
        return true;
      }
    }
    return false;
  }

  /** Whether a concrete location is matched by any path (walks the segments; for tests/tools). */
  matches(segments: readonly PathSegment[]): boolean {
    let state = this.root;
    for (const segment of segments) state = this.advance(state, segment);
    return this.matchesAt(state);
  }
}

function stepMatches(step: PathStep, key: PathSegment): boolean {
  switch (step.kind) {
    case 'any':
      return true;
    case 'member':
      return key === step.name;
    case 'index':
      return key === step.index;
  }
}

function add(list: number[] | undefined, value: number): number[] {
  if (list === undefined) return [value];
  if (!list.includes(value)) list.push(value);
  return list;
}
