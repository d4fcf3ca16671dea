/**
 * A bounded in-memory store of compared exchanges: the last N mismatches per route (request,
 * both responses, the comparison result), plus a 1-in-K sample of matches per route that can be
 * exported later as contract cases.
 *
 * Bounds: each entry is cut to `maxEntryBytes` (bodies first, shared fairly; a cut body keeps
 * its start and a `…[truncated N bytes]` marker), each route keeps at most
 * `mismatchesPerRoute` / `matchesPerRoute` entries, and all entries together at most
 * `maxTotalBytes`. Insertion is O(1); the oldest entry goes first (of its route when the route
 * is full, of the whole store when the total is exceeded). Sizes are estimates of the JSON size
 * (string lengths), good enough for a memory bound.
 */
import { ComparisonResult } from './compile-comparison.js';
import { Difference } from './difference.js';
import { RouteKey, routeKeyOf } from './diff-summary.js';
import {
  bodyBytes,
  contentTypeOf,
  HeaderRecord,
  headerValue,
  isJsonContentType,
  ObservedResponse,
} from './http-response.js';
import { truncateText } from './json-value.js';

export interface ObservedRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/cards?page=2`. */
  readonly url: string;
  readonly headers?: HeaderRecord;
  readonly body?: Uint8Array | string;
}

export interface StoredBody {
  /** `utf8` for text-like content types, `base64` otherwise. */
  readonly encoding: 'utf8' | 'base64';
  readonly data: string;
  /** Size of the original body in bytes. */
  readonly bytes: number;
  readonly truncated: boolean;
}

export interface StoredRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: StoredBody;
}

export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: StoredBody;
}

export interface StoredComparison {
  /** Increasing per store. */
  readonly id: number;
  readonly route: RouteKey;
  /** `routeKeyOf(route)`. */
  readonly routeKey: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly matches: boolean;
  readonly request: StoredRequest;
  readonly primary: StoredResponse;
  readonly candidate: StoredResponse;
  readonly secondPrimary?: StoredResponse;
  readonly result: ComparisonResult;
  /** Estimated size of this entry. */
  readonly bytes: number;
}

/** One compared exchange, as handed to `MismatchStore.record`. */
export interface ComparisonRecord {
  readonly route: RouteKey;
  readonly request: ObservedRequest;
  readonly primary: ObservedResponse;
  readonly candidate: ObservedResponse;
  readonly secondPrimary?: ObservedResponse;
  readonly result: ComparisonResult;
  /** Epoch milliseconds; `Date.now()` when absent. */
  readonly at?: number;
}

export interface MismatchStoreOptions {
  /** Mismatches kept per route (default 50). */
  readonly mismatchesPerRoute?: number;
  /** Sampled matches kept per route (default 20; 0 keeps none). */
  readonly matchesPerRoute?: number;
  /** Keep the 1st, (K+1)th, (2K+1)th... match of each route (default K = 100). */
  readonly sampleMatchesEvery?: number;
  /** Bound of one entry (default 64 KiB). */
  readonly maxEntryBytes?: number;
  /** Bound of all entries together (default 16 MiB). */
  readonly maxTotalBytes?: number;
}

const MAX_HEADERS = 50;
const MAX_HEADER_CHARS = 256;
/** Allowance for member names, numbers and punctuation of an entry. */
const ENTRY_OVERHEAD = 300;
const DIFFERENCE_OVERHEAD = 60;

interface Node {
  readonly entry: StoredComparison;
  readonly queue: Queue;
  prev?: Node;
  next?: Node;
  routePrev?: Node;
  routeNext?: Node;
}

interface Queue {
  head?: Node;
  tail?: Node;
  size: number;
  readonly capacity: number;
}

interface RouteState {
  readonly mismatches: Queue;
  readonly matches: Queue;
  matchesSeen: number;
}

export class MismatchStore {
  private readonly mismatchesPerRoute: number;
  private readonly matchesPerRoute: number;
  private readonly sampleMatchesEvery: number;
  private readonly maxEntryBytes: number;
  private readonly maxTotalBytes: number;
  private readonly routes = new Map<string, RouteState>();
  private head?: Node;
  private tail?: Node;
  private nextId = 1;
  private totalBytes = 0;
  private count = 0;

  constructor(options: MismatchStoreOptions = {}) {
    this.mismatchesPerRoute = nonNegative(options.mismatchesPerRoute ?? 50, 'mismatchesPerRoute');
    this.matchesPerRoute = nonNegative(options.matchesPerRoute ?? 20, 'matchesPerRoute');
    this.sampleMatchesEvery = nonNegative(options.sampleMatchesEvery ?? 100, 'sampleMatchesEvery');
    this.maxEntryBytes = nonNegative(options.maxEntryBytes ?? 64 * 1024, 'maxEntryBytes');
    this.maxTotalBytes = nonNegative(options.maxTotalBytes ?? 16 * 1024 * 1024, 'maxTotalBytes');
    if (this.maxEntryBytes > this.maxTotalBytes) {
      throw new RangeError('maxEntryBytes must not exceed maxTotalBytes');
    }
  }

  /** Entries held. */
  get size(): number {
    return this.count;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Stores a mismatch, or a match when it falls in the sample; returns the stored (bounded)
   * entry, or undefined when nothing was stored.
   */
  record(record: ComparisonRecord): StoredComparison | undefined {
    const routeKey = routeKeyOf(record.route);
    const route = this.routeState(routeKey);
    const matches = record.result.matches;
    let queue: Queue;
    if (matches) {
      const seen = route.matchesSeen++;
      if (this.sampleMatchesEvery === 0 || seen % this.sampleMatchesEvery !== 0) return undefined;
      queue = route.matches;
    } else queue = route.mismatches;
    if (queue.capacity === 0) return undefined;

    const entry = this.bound(record, routeKey);
    const node: Node = { entry, queue };
    this.append(node);
    if (queue.size > queue.capacity && queue.head) this.remove(queue.head);
    while (this.totalBytes > this.maxTotalBytes && this.head) this.remove(this.head);
    return entry;
  }

  /** Mismatches, oldest first: of one route, or of all routes. */
  mismatches(route?: RouteKey | string): StoredComparison[] {
    return this.list(route, 'mismatches');
  }

  /** Sampled matches, oldest first: of one route, or of all routes. */
  matches(route?: RouteKey | string): StoredComparison[] {
    return this.list(route, 'matches');
  }

  clear(): void {
    this.routes.clear();
    this.head = this.tail = undefined;
    this.totalBytes = 0;
    this.count = 0;
  }

  private list(
    route: RouteKey | string | undefined,
    which: 'mismatches' | 'matches',
  ): StoredComparison[] {
    const out: StoredComparison[] = [];
    if (route === undefined) {
      const wanted = which === 'matches';
      for (let node = this.head; node; node = node.next) {
        if (node.entry.matches === wanted) out.push(node.entry);
      }
      return out;
    }
    const state = this.routes.get(typeof route === 'string' ? route : routeKeyOf(route));
    for (let node = state?.[which].head; node; node = node.routeNext) out.push(node.entry);
    return out;
  }

  private routeState(key: string): RouteState {
    let state = this.routes.get(key);
    if (!state) {
      state = {
        mismatches: { size: 0, capacity: this.mismatchesPerRoute },
        matches: { size: 0, capacity: this.matchesPerRoute },
        matchesSeen: 0,
      };
      this.routes.set(key, state);
    }
    return state;
  }

  private append(node: Node): void {
    node.prev = this.tail;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    const { queue } = node;
    node.routePrev = queue.tail;
    if (queue.tail) queue.tail.routeNext = node;
    else queue.head = node;
    queue.tail = node;
    queue.size++;
    this.count++;
    this.totalBytes += node.entry.bytes;
  }

  private remove(node: Node): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    const { queue } = node;
    if (node.routePrev) node.routePrev.routeNext = node.routeNext;
    else queue.head = node.routeNext;
    if (node.routeNext) node.routeNext.routePrev = node.routePrev;
    else queue.tail = node.routePrev;
    queue.size--;
    this.count--;
    this.totalBytes -= node.entry.bytes;
    node.prev = node.next = node.routePrev = node.routeNext = undefined;
  }

  /** Builds the stored entry within `maxEntryBytes`. */
  private bound(record: ComparisonRecord, routeKey: string): StoredComparison {
    const request = {
      method: record.request.method,
      url: truncateText(record.request.url, 2048),
      headers: boundedHeaders(record.request.headers ?? {}),
    };
    const responses = [record.primary, record.candidate, record.secondPrimary];
    const heads = responses.map((response) =>
      response === undefined
        ? undefined
        : { status: response.status, headers: boundedHeaders(response.headers) },
    );
    let result = record.result;
    const fixedBytes = (): number =>
      ENTRY_OVERHEAD +
      routeKey.length +
      request.url.length +
      headersBytes(request.headers) +
      heads.reduce((sum, head) => sum + (head ? headersBytes(head.headers) : 0), 0) +
      resultBytes(result);
    let fixed = fixedBytes();
    if (fixed > this.maxEntryBytes) {
      result = shrinkResult(result, fixed - this.maxEntryBytes);
      fixed = fixedBytes();
    }
    // Bodies share what is left, smallest first (water-filling), so small bodies stay whole.
    const sources: { body: Uint8Array; text: boolean }[] = [];
    const requestBody = record.request.body;
    const requestType = headerValue(record.request.headers ?? {}, 'content-type') ?? '';
    sources.push({
      body: bodyBytes(requestBody),
      text: typeof requestBody === 'string' || isText(requestType),
    });
    responses.forEach((response) => {
      sources.push({
        body: bodyBytes(response?.body),
        text:
          typeof response?.body === 'string' ||
          (response !== undefined && isText(contentTypeOf(response))),
      });
    });
    const wants = sources.map(({ body, text }) => (text ? body.length : base64Length(body.length)));
    const withBody = <T extends object>(
      head: T,
      body: StoredBody | undefined,
    ): T & { body?: StoredBody } => (body === undefined ? head : { ...head, body });
    const [primaryHead, candidateHead, secondHead] = heads;
    const id = this.nextId++;
    const at = record.at ?? Date.now();
    const route = {
      rule: record.route.rule,
      method: record.route.method.toUpperCase(),
      pathPattern: record.route.pathPattern,
    };
    // The estimate above ignores JSON escaping: measure the real size, and cut bodies further
    // when it is over (a few rounds at most).
    let budget = Math.max(0, this.maxEntryBytes - fixed);
    for (let round = 0; ; round++) {
      const budgets = shareBudget(wants, budget);
      const bodies = sources.map(({ body, text }, index) =>
        body.length === 0 ? undefined : storeBody(body, text, budgets[index] ?? 0),
      );
      const entry = {
        id,
        route,
        routeKey,
        at,
        matches: record.result.matches,
        request: withBody(request, bodies[0]),
        primary: withBody(primaryHead as StoredResponse, bodies[1]),
        candidate: withBody(candidateHead as StoredResponse, bodies[2]),
        ...(secondHead && { secondPrimary: withBody(secondHead, bodies[3]) }),
        result,
        bytes: 0,
      };
      const measured = Buffer.byteLength(JSON.stringify(entry));
      const bytes = measured + String(measured).length; // the real `bytes` value is longer than 0
      if (bytes <= this.maxEntryBytes || round === 4) {
        entry.bytes = bytes;
        return entry;
      }
      if (budget === 0) {
        result = shrinkResult(result, bytes - this.maxEntryBytes);
      } else {
        budget = Math.max(0, budget - (bytes - this.maxEntryBytes) - 16);
      }
    }
  }
}

function nonNegative(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer`);
  }
  return value;
}

const TEXT_TYPE =
  /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:xml|javascript|x-www-form-urlencoded)\b)/i;

function isText(contentType: string): boolean {
  return isJsonContentType(contentType) || TEXT_TYPE.test(contentType);
}

function boundedHeaders(headers: HeaderRecord): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  for (const name of Object.keys(headers)) {
    if (kept === MAX_HEADERS) break;
    const value = headerValue(headers, name.toLowerCase());
    if (value === undefined) continue;
    out[name.toLowerCase()] = truncateText(value, MAX_HEADER_CHARS);
    kept++;
  }
  return out;
}

function headersBytes(headers: Readonly<Record<string, string>>): number {
  let bytes = 2;
  for (const name of Object.keys(headers)) bytes += name.length + (headers[name] ?? '').length + 6;
  return bytes;
}

function differenceBytes(difference: Difference): number {
  return (
    DIFFERENCE_OVERHEAD +
    difference.path.length +
    difference.concretePath.length +
    (difference.primary?.length ?? 0) +
    (difference.candidate?.length ?? 0) +
    (difference.detail?.length ?? 0)
  );
}

function resultBytes(result: ComparisonResult): number {
  let bytes = 200;
  for (const difference of result.differences) bytes += differenceBytes(difference);
  for (const difference of result.noise) bytes += differenceBytes(difference);
  for (const field of result.fields) bytes += field.path.length + 50;
  for (const path of result.noisyFields) bytes += path.length + 3;
  return bytes;
}

/** Drops noise, then differences, from the end until about `excess` bytes are saved. */
function shrinkResult(result: ComparisonResult, excess: number): ComparisonResult {
  const noise = [...result.noise];
  const differences = [...result.differences];
  let saved = 0;
  let omittedNoise = result.omittedNoise;
  let omittedDifferences = result.omittedDifferences;
  while (saved < excess && noise.length > 0) {
    saved += differenceBytes(noise.pop() as Difference);
    omittedNoise++;
  }
  while (saved < excess && differences.length > 0) {
    saved += differenceBytes(differences.pop() as Difference);
    omittedDifferences++;
  }
  const fields = saved < excess ? [] : result.fields;
  const noisyFields = saved < excess ? [] : result.noisyFields;
  return { ...result, differences, noise, fields, noisyFields, omittedDifferences, omittedNoise };
}

/** Splits `budget` among wants: each gets what it wants or an equal share of what is left. */
function shareBudget(wants: readonly number[], budget: number): number[] {
  const order = wants.map((_, index) => index).sort((a, b) => (wants[a] ?? 0) - (wants[b] ?? 0));
  const out = wants.map(() => 0);
  let left = budget;
  order.forEach((index, position) => {
    const share = Math.floor(left / (order.length - position));
    const given = Math.min(wants[index] ?? 0, share);
    out[index] = given;
    left -= given;
  });
  return out;
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Stores a body within `budget` characters, cutting it with a marker when needed. */
function storeBody(body: Uint8Array, text: boolean, budget: number): StoredBody {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (text) {
    if (body.length <= budget) {
      return {
        encoding: 'utf8',
        data: buffer.toString('utf8'),
        bytes: body.length,
        truncated: false,
      };
    }
    const marker = `…[truncated ${body.length} bytes]`;
    const keep = Math.max(0, budget - marker.length);
    const data = buffer.subarray(0, keep).toString('utf8') + marker;
    return { encoding: 'utf8', data, bytes: body.length, truncated: true };
  }
  const keep = base64Length(body.length) <= budget ? body.length : Math.floor(budget / 4) * 3;
  return {
    encoding: 'base64',
    data: buffer.subarray(0, keep).toString('base64'),
    bytes: body.length,
    truncated: keep < body.length,
  };
}
