/**
 * Per-route aggregation of comparison results: "N failing of M compared" per endpoint, and per
 * field the kinds of difference with counts and how often the field is noise. Serialisable to
 * JSON (`toJSON`) and mergeable (`merge`), so several facade replicas can be summed.
 */
import { ComparisonResult } from './compile-comparison.js';
import { DifferenceKind } from './difference.js';

/** An endpoint: the route rule's name, the method and the rule's path pattern. */
export interface RouteKey {
  readonly rule: string;
  readonly method: string;
  readonly pathPattern: string;
}

/** `cards-read GET /cards/:id`. */
export function routeKeyOf(route: RouteKey): string {
  return `${route.rule} ${route.method.toUpperCase()} ${route.pathPattern}`;
}

export interface FieldSummary {
  /** Normalised path (`$.items[*].likeCount`, `status`, `headers.etag`). */
  readonly path: string;
  /** Per kind, comparisons in which this field had a (non-noise) difference of that kind. */
  readonly kinds: Readonly<Partial<Record<DifferenceKind, number>>>;
  /** Comparisons in which this field had a difference that failed the comparison. */
  readonly failing: number;
  /** Comparisons in which differences at this field were classified as noise. */
  readonly noise: number;
  /** Comparisons (with a second primary) in which the two primaries disagreed at this field. */
  readonly noisy: number;
  /** `noisy / learned` of the route: how often the field is noise; 0 before any learning. */
  readonly noiseRatio: number;
}

export interface RouteSummary extends RouteKey {
  /** `routeKeyOf` of the route. */
  readonly key: string;
  readonly compared: number;
  readonly failing: number;
  /** Comparisons that had a second primary (noise learned). */
  readonly learned: number;
  /** Fields with any difference or noise, most failing first. */
  readonly fields: readonly FieldSummary[];
  /** Field observations dropped because the route already tracks `maxFieldsPerRoute` fields. */
  readonly omittedFields: number;
}

export interface DiffSummarySnapshot {
  readonly version: 1;
  readonly routes: readonly RouteSummary[];
}

export interface DiffSummaryOptions {
  /** Distinct fields tracked per route (default 200): bounds memory when keys are ids. */
  readonly maxFieldsPerRoute?: number;
}

interface FieldCounters {
  kinds: Partial<Record<DifferenceKind, number>>;
  failing: number;
  noise: number;
  noisy: number;
}

interface RouteCounters {
  route: RouteKey;
  compared: number;
  failing: number;
  learned: number;
  omittedFields: number;
  fields: Map<string, FieldCounters>;
}

export class DiffSummary {
  private readonly routesByKey = new Map<string, RouteCounters>();
  private readonly maxFieldsPerRoute: number;

  constructor(options: DiffSummaryOptions = {}) {
    this.maxFieldsPerRoute = options.maxFieldsPerRoute ?? 200;
  }

  static fromJSON(snapshot: DiffSummarySnapshot, options?: DiffSummaryOptions): DiffSummary {
    const summary = new DiffSummary(options);
    summary.merge(snapshot);
    return summary;
  }

  /** Counts one comparison of `route`. */
  record(route: RouteKey, result: ComparisonResult): void {
    const counters = this.countersFor(route);
    counters.compared++;
    if (!result.matches) counters.failing++;
    if (result.learnedNoise) counters.learned++;
    const seen = new Map<
      string,
      { kinds: Set<DifferenceKind>; failing: boolean; noise: boolean }
    >();
    for (const field of result.fields) {
      let entry = seen.get(field.path);
      if (!entry) {
        entry = { kinds: new Set(), failing: false, noise: false };
        seen.set(field.path, entry);
      }
      if (field.noise) entry.noise = true;
      else {
        entry.failing = true;
        entry.kinds.add(field.kind);
      }
    }
    for (const [path, entry] of seen) {
      const field = this.fieldFor(counters, path);
      if (!field) continue;
      if (entry.failing) field.failing++;
      if (entry.noise) field.noise++;
      for (const kind of entry.kinds) field.kinds[kind] = (field.kinds[kind] ?? 0) + 1;
    }
    for (const path of result.noisyFields) {
      const field = this.fieldFor(counters, path);
      if (field) field.noisy++;
    }
  }

  /** Adds a snapshot's counts (e.g. from another replica) to this summary. */
  merge(snapshot: DiffSummarySnapshot): void {
    for (const route of snapshot.routes) {
      const counters = this.countersFor(route);
      counters.compared += route.compared;
      counters.failing += route.failing;
      counters.learned += route.learned;
      counters.omittedFields += route.omittedFields;
      for (const source of route.fields) {
        const field = this.fieldFor(counters, source.path);
        if (!field) continue;
        field.failing += source.failing;
        field.noise += source.noise;
        field.noisy += source.noisy;
        for (const [kind, count] of Object.entries(source.kinds) as [DifferenceKind, number][]) {
          field.kinds[kind] = (field.kinds[kind] ?? 0) + count;
        }
      }
    }
  }

  route(route: RouteKey | string): RouteSummary | undefined {
    const counters = this.routesByKey.get(typeof route === 'string' ? route : routeKeyOf(route));
    return counters && summarise(counters);
  }

  /** Every route, sorted by key. */
  routes(): RouteSummary[] {
    return [...this.routesByKey.keys()]
      .sort()
      .map((key) => summarise(this.routesByKey.get(key) as RouteCounters));
  }

  /**
   * Fields of a route that are noise at least `minRatio` of the time, once at least `minLearned`
   * comparisons had a second primary (defaults 0.5 and 10).
   */
  noisyFields(
    route: RouteKey | string,
    { minRatio = 0.5, minLearned = 10 }: { minRatio?: number; minLearned?: number } = {},
  ): string[] {
    const summary = this.route(route);
    if (!summary || summary.learned < minLearned) return [];
    return summary.fields
      .filter((field) => field.noiseRatio >= minRatio)
      .map((field) => field.path);
  }

  toJSON(): DiffSummarySnapshot {
    return { version: 1, routes: this.routes() };
  }

  private countersFor(route: RouteKey): RouteCounters {
    const key = routeKeyOf(route);
    let counters = this.routesByKey.get(key);
    if (!counters) {
      counters = {
        route: {
          rule: route.rule,
          method: route.method.toUpperCase(),
          pathPattern: route.pathPattern,
        },
        compared: 0,
        failing: 0,
        learned: 0,
        omittedFields: 0,
        fields: new Map(),
      };
      this.routesByKey.set(key, counters);
    }
    return counters;
  }

  private fieldFor(counters: RouteCounters, path: string): FieldCounters | undefined {
    let field = counters.fields.get(path);
    if (!field) {
      if (counters.fields.size >= this.maxFieldsPerRoute) {
        counters.omittedFields++;
        return undefined;
      }
      field = { kinds: {}, failing: 0, noise: 0, noisy: 0 };
      counters.fields.set(path, field);
    }
    return field;
  }
}

function summarise(counters: RouteCounters): RouteSummary {
  const fields: FieldSummary[] = [...counters.fields].map(([path, field]) => ({
    path,
    kinds: { ...field.kinds },
    failing: field.failing,
    noise: field.noise,
    noisy: field.noisy,
    noiseRatio: counters.learned === 0 ? 0 : Math.min(1, field.noisy / counters.learned),
  }));
  fields.sort((a, b) => b.failing - a.failing || b.noise - a.noise || a.path.localeCompare(b.path));
  return {
    key: routeKeyOf(counters.route),
    ...counters.route,
    compared: counters.compared,
    failing: counters.failing,
    learned: counters.learned,
    fields,
    omittedFields: counters.omittedFields,
  };
}
