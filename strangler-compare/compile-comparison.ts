/**
 * `compileComparison(options)` → `compare(primary, candidate, secondPrimary?)`.
 *
 * Options are validated and their paths compiled once; `compare` then only walks the responses.
 * With a second primary answer to the same request, differences between the two primaries mark
 * fields as noise (Twitter Diffy's method): a primary-vs-candidate difference at a noisy location
 * (or below one) is reported under `noise` and does not fail the comparison.
 */
import { BodyRule, BodyRules, compareJsonValues, NumericTolerance } from './compare-json.js';
import { ABSENT, Difference, DifferenceKind, RawDifference } from './difference.js';
import {
  appendSegment,
  formatConcretePath,
  formatNormalisedPath,
  JsonPathSyntaxError,
  PathSegment,
} from './json-path.js';
import { previewJson } from './json-value.js';
import { headerValue, ObservedResponse, ParsedBody, parseBody } from './http-response.js';
import { PathRule, PathRuleSet } from './path-rules.js';

export type { NumericTolerance } from './compare-json.js';

/** An array compared as a multiset; elements matched by `key` when given. */
export interface UnorderedArrayOption {
  readonly path: string;
  /** Member that identifies an element, e.g. `id`. */
  readonly key?: string;
}

export interface NumericToleranceOption extends NumericTolerance {
  /** Where the tolerance applies; everywhere when absent. */
  readonly paths?: readonly string[];
}

/** What a route or contract case declares about how its responses are compared. */
export interface ComparisonOptions {
  /** Compare status codes (default true). */
  readonly status?: boolean;
  /** Response headers to compare, any case (default none). */
  readonly headers?: readonly string[];
  /** Body paths left out of the comparison, e.g. `$.updatedAt`, `$.items[*].updatedAt`, `$..etag`. */
  readonly ignore?: readonly string[];
  /** Arrays compared as multisets: a path, or `{ path, key }` to match elements by a member. */
  readonly unordered?: readonly (string | UnorderedArrayOption)[];
  /** Numbers within this tolerance are equal. */
  readonly numericTolerance?: NumericToleranceOption;
  /** Report objects whose members come in a different order (kind `order`); default false. */
  readonly keyOrder?: boolean;
  /** Differences kept per result, and separately noise differences kept (default 50). */
  readonly maxDifferences?: number;
  /** Length of the stored JSON text of each value (default 200 characters). */
  readonly maxValueChars?: number;
  /** Bytes shown before and after the first difference of two non-JSON bodies (default 40). */
  readonly excerptBytes?: number;
  /** Containers nested deeper than this are compared as a whole (default 200). */
  readonly maxDepth?: number;
}

/** How many differences one field had in one comparison. */
export interface FieldCount {
  /** Normalised path (`$.items[*].likeCount`, `status`, `headers.etag`). */
  readonly path: string;
  readonly kind: DifferenceKind;
  readonly count: number;
  /** True when these differences were classified as noise. */
  readonly noise: boolean;
}

export interface ComparisonResult {
  /** No difference outside noisy fields. */
  readonly matches: boolean;
  /** Differences that fail the comparison (at most `maxDifferences`). */
  readonly differences: readonly Difference[];
  /** Differences at locations where the two primaries disagreed (at most `maxDifferences`). */
  readonly noise: readonly Difference[];
  /** Counts per field and kind, over all differences (kept or not; at most 100 fields). */
  readonly fields: readonly FieldCount[];
  /** Whether a second primary was given, so noise was learned. */
  readonly learnedNoise: boolean;
  /** Normalised paths where the two primaries disagreed (at most 100). */
  readonly noisyFields: readonly string[];
  /** Differences beyond `maxDifferences` (counted in `fields`, not kept). */
  readonly omittedDifferences: number;
  readonly omittedNoise: number;
}

export interface CompiledComparison {
  /** The options as given (validated). */
  readonly options: ComparisonOptions;
  compare(
    primary: ObservedResponse,
    candidate: ObservedResponse,
    secondPrimary?: ObservedResponse,
  ): ComparisonResult;
  /**
   * Compares already-parsed JSON bodies (`undefined` = no body) with the body rules only: no
   * status or headers. Noise is learned when `secondPrimary` is not `undefined`.
   */
  compareJson(primary: unknown, candidate: unknown, secondPrimary?: unknown): ComparisonResult;
}

export class ComparisonOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid comparison options: ${problems.join('; ')}`);
    this.name = 'ComparisonOptionsError';
  }
}

const DEFAULTS = {
  maxDifferences: 50,
  maxValueChars: 200,
  excerptBytes: 40,
  maxDepth: 200,
};
const MAX_FIELDS = 100;

/** Validates options and compiles their paths once; throws `ComparisonOptionsError`. */
export function compileComparison(options: ComparisonOptions = {}): CompiledComparison {
  const problems: string[] = [];
  const rules: PathRule<BodyRule>[] = [];
  const addPath = (where: string, expression: unknown, action: BodyRule): void => {
    if (typeof expression !== 'string') {
      problems.push(`${where}: expected a path string`);
      return;
    }
    try {
      // Compiled per path so each error names its option.
      new PathRuleSet([{ expression, action }]);
      rules.push({ expression, action });
    } catch (error) {
      if (!(error instanceof JsonPathSyntaxError)) throw error;
      problems.push(`${where}: ${error.message}`);
    }
  };
  (options.ignore ?? []).forEach((path, index) => {
    addPath(`ignore[${index}]`, path, { kind: 'ignore' });
  });
  (options.unordered ?? []).forEach((entry, index) => {
    if (typeof entry === 'string') {
      addPath(`unordered[${index}]`, entry, { kind: 'unordered' });
      return;
    }
    if (entry.key !== undefined && (typeof entry.key !== 'string' || entry.key === '')) {
      problems.push(`unordered[${index}].key: expected a non-empty member name`);
    }
    const action: BodyRule =
      entry.key === undefined ? { kind: 'unordered' } : { kind: 'unordered', key: entry.key };
    addPath(`unordered[${index}].path`, entry.path, action);
  });
  let globalTolerance: NumericTolerance | undefined;
  const tolerance = options.numericTolerance;
  if (tolerance) {
    for (const name of ['absolute', 'relative'] as const) {
      const value = tolerance[name];
      if (
        value !== undefined &&
        !(typeof value === 'number' && value >= 0 && Number.isFinite(value))
      ) {
        problems.push(`numericTolerance.${name}: expected a finite number >= 0`);
      }
    }
    if (tolerance.absolute === undefined && tolerance.relative === undefined) {
      problems.push('numericTolerance: give "absolute", "relative" or both');
    }
    const bounds: NumericTolerance = {
      ...(tolerance.absolute !== undefined && { absolute: tolerance.absolute }),
      ...(tolerance.relative !== undefined && { relative: tolerance.relative }),
    };
    if (tolerance.paths === undefined) globalTolerance = bounds;
    else {
      tolerance.paths.forEach((path, index) => {
        addPath(`numericTolerance.paths[${index}]`, path, { kind: 'tolerance', tolerance: bounds });
      });
    }
  }
  const limits = { ...DEFAULTS };
  for (const name of ['maxDifferences', 'maxValueChars', 'excerptBytes', 'maxDepth'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      problems.push(`${name}: expected a positive integer`);
    } else limits[name] = value;
  }
  const headers = (options.headers ?? []).map((name, index) => {
    if (typeof name !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      problems.push(`headers[${index}]: expected a header name`);
    }
    return String(name).toLowerCase();
  });
  if (problems.length > 0) throw new ComparisonOptionsError(problems);

  const bodyRules: BodyRules = {
    paths: new PathRuleSet(rules),
    ...(globalTolerance && { tolerance: globalTolerance }),
    anyTolerance: tolerance !== undefined,
    keyOrder: options.keyOrder ?? false,
    maxDepth: limits.maxDepth,
  };
  const settings: Settings = {
    status: options.status ?? true,
    headers: [...new Set(headers)],
    body: bodyRules,
    ...limits,
  };
  return Object.freeze({
    options,
    compare(primary, candidate, secondPrimary) {
      const primaryBody = parseBody(primary);
      const raw = compareResponses(primary, primaryBody, candidate, parseBody(candidate), settings);
      const noise =
        secondPrimary === undefined
          ? undefined
          : compareResponses(
              primary,
              primaryBody,
              secondPrimary,
              parseBody(secondPrimary),
              settings,
            );
      return buildResult(raw, noise, settings);
    },
    compareJson(primary, candidate, secondPrimary) {
      const side = (value: unknown): unknown => (value === undefined ? ABSENT : value);
      const raw = compareJsonValues(side(primary), side(candidate), bodyRules);
      const noise =
        secondPrimary === undefined
          ? undefined
          : compareJsonValues(side(primary), side(secondPrimary), bodyRules);
      return buildResult(raw, noise, settings);
    },
  } satisfies CompiledComparison);
}

interface Settings {
  readonly status: boolean;
  readonly headers: readonly string[];
  readonly body: BodyRules;
  readonly maxDifferences: number;
  readonly maxValueChars: number;
  readonly excerptBytes: number;
  readonly maxDepth: number;
}

function compareResponses(
  primary: ObservedResponse,
  primaryBody: ParsedBody,
  candidate: ObservedResponse,
  candidateBody: ParsedBody,
  settings: Settings,
): RawDifference[] {
  const differences: RawDifference[] = [];
  if (settings.status && primary.status !== candidate.status) {
    differences.push({
      kind: 'status',
      at: 'status',
      primary: primary.status,
      candidate: candidate.status,
    });
  }
  for (const name of settings.headers) {
    const a = headerValue(primary.headers, name);
    const b = headerValue(candidate.headers, name);
    if (a !== b) {
      differences.push({
        kind: 'header',
        at: `headers.${name}`,
        primary: a ?? ABSENT,
        candidate: b ?? ABSENT,
      });
    }
  }
  differences.push(...compareBodies(primaryBody, candidateBody, settings));
  return differences;
}

const ROOT: readonly PathSegment[] = Object.freeze([]);

function compareBodies(
  primary: ParsedBody,
  candidate: ParsedBody,
  settings: Settings,
): RawDifference[] {
  if (primary.kind === 'json' && candidate.kind === 'json') {
    return compareJsonValues(primary.value, candidate.value, settings.body);
  }
  if (primary.kind === 'empty' && candidate.kind === 'empty') return [];
  if (primary.kind === 'empty' || candidate.kind === 'empty') {
    // A whole body present on one side only; JSON bodies still honour `ignore: ['$']`.
    return compareJsonValues(bodyValue(primary), bodyValue(candidate), settings.body);
  }
  if (primary.kind === 'json' || candidate.kind === 'json') {
    const describe = (body: ParsedBody): string =>
      body.kind === 'json'
        ? 'JSON'
        : body.kind === 'invalid-json'
          ? `invalid JSON (${body.error})`
          : body.kind === 'bytes'
            ? `not JSON (${body.contentType || 'no content type'})`
            : 'empty';
    return [
      {
        kind: 'type',
        at: ROOT,
        primary: bodyValue(primary, settings.excerptBytes * 2),
        candidate: bodyValue(candidate, settings.excerptBytes * 2),
        detail: `primary body is ${describe(primary)}, candidate body is ${describe(candidate)}`,
      },
    ];
  }
  // Neither is JSON (both bytes, or invalid JSON): compare bytes.
  return compareBytes(primary.bytes, candidate.bytes, settings.excerptBytes);
}

/** The body as a value for a difference: parsed JSON, or the start of its text. */
function bodyValue(body: ParsedBody, maxBytes = 80): unknown {
  switch (body.kind) {
    case 'empty':
      return ABSENT;
    case 'json':
      return body.value;
    default:
      return excerpt(body.bytes, 0, maxBytes);
  }
}

function compareBytes(
  primary: Uint8Array,
  candidate: Uint8Array,
  excerptBytes: number,
): RawDifference[] {
  const shared = Math.min(primary.length, candidate.length);
  let at = 0;
  while (at < shared && primary[at] === candidate[at]) at++;
  if (at === shared && primary.length === candidate.length) return [];
  const from = Math.max(0, at - excerptBytes);
  return [
    {
      kind: 'value',
      at: ROOT,
      primary: excerpt(primary, from, at + excerptBytes),
      candidate: excerpt(candidate, from, at + excerptBytes),
      detail: `bodies differ from byte ${at} (lengths ${primary.length} and ${candidate.length})`,
    },
  ];
}

function excerpt(bytes: Uint8Array, from: number, to: number): string {
  const end = Math.min(bytes.length, to);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + from, Math.max(0, end - from)).toString(
    'utf8',
  );
  return (from > 0 ? '…' : '') + text + (end < bytes.length ? '…' : '');
}

/** Classifies noise, counts fields, keeps the first differences of each class. */
function buildResult(
  raw: readonly RawDifference[],
  noise: readonly RawDifference[] | undefined,
  settings: Settings,
): ComparisonResult {
  const noisyLocations = new Set<string>();
  const noisyFields = new Set<string>();
  for (const difference of noise ?? []) {
    noisyLocations.add(concretePathOf(difference));
    if (noisyFields.size < MAX_FIELDS) noisyFields.add(normalisedPathOf(difference));
  }
  const differences: Difference[] = [];
  const noiseDifferences: Difference[] = [];
  let omittedDifferences = 0;
  let omittedNoise = 0;
  const fields = new Map<
    string,
    { path: string; kind: DifferenceKind; count: number; noise: boolean }
  >();
  for (const difference of raw) {
    const concretePath = concretePathOf(difference);
    const path = normalisedPathOf(difference);
    const isNoise =
      noisyLocations.size > 0 && isAtOrBelow(difference, concretePath, noisyLocations);
    const fieldKey = `${isNoise ? 'n' : 'r'}${difference.kind} ${path}`;
    const field = fields.get(fieldKey);
    if (field) field.count++;
    else if (fields.size < MAX_FIELDS) {
      fields.set(fieldKey, { path, kind: difference.kind, count: 1, noise: isNoise });
    }
    const list = isNoise ? noiseDifferences : differences;
    if (list.length < settings.maxDifferences) {
      list.push(toDifference(difference, path, concretePath, settings.maxValueChars));
    } else if (isNoise) omittedNoise++;
    else omittedDifferences++;
  }
  return {
    matches: differences.length === 0,
    differences,
    noise: noiseDifferences,
    fields: [...fields.values()],
    learnedNoise: noise !== undefined,
    noisyFields: [...noisyFields],
    omittedDifferences,
    omittedNoise,
  };
}

function concretePathOf(difference: RawDifference): string {
  return typeof difference.at === 'string' ? difference.at : formatConcretePath(difference.at);
}

function normalisedPathOf(difference: RawDifference): string {
  return typeof difference.at === 'string' ? difference.at : formatNormalisedPath(difference.at);
}

/** Whether the location or one of its ancestors is in `locations`. */
function isAtOrBelow(
  difference: RawDifference,
  concretePath: string,
  locations: ReadonlySet<string>,
): boolean {
  if (locations.has(concretePath)) return true;
  if (typeof difference.at === 'string') return false;
  let prefix = '$';
  for (let i = 0; i < difference.at.length; i++) {
    if (locations.has(prefix)) return true;
    prefix = appendSegment(prefix, difference.at[i]);
  }
  return false;
}

function toDifference(
  difference: RawDifference,
  path: string,
  concretePath: string,
  maxValueChars: number,
): Difference {
  const show = (value: unknown): string | undefined =>
    value === ABSENT ? undefined : previewJson(value, maxValueChars);
  const primary = show(difference.primary);
  const candidate = show(difference.candidate);
  return {
    kind: difference.kind,
    path,
    concretePath,
    ...(primary !== undefined && { primary }),
    ...(candidate !== undefined && { candidate }),
    ...(difference.detail !== undefined && { detail: difference.detail }),
  };
}
