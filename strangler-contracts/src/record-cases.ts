/**
 * Contract cases recorded from live traffic: the facade's shadow comparisons (the mismatches it
 * kept and the matches it sampled) turned into one case file per rule. Each stored request
 * becomes a case that sends the same method, path, query, headers and body to both sides and
 * compares them with the rule's own comparison options, so the case compares the way the shadow
 * did. Pure: no I/O; the text loads with `parseCaseFile` / `loadCaseFiles`.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import {
  isJsonContentType,
  type ComparisonOptions,
  type StoredComparison,
} from '../../strangler-compare/index.js';
import type { ContractCompareOptions } from './case-file.schema.js';

export interface RecordCasesOptions {
  /** The rule the comparisons were made for (used when no entry names a route). */
  readonly rule: string;
  /** The rule's shadow comparison options (`shadow.compare` in routes.yaml). */
  readonly compare?: ComparisonOptions | null;
  /** Keep `authorization`, `cookie` and `proxy-authorization` (default: dropped). */
  readonly keepAuth?: boolean;
}

export interface RecordedCases {
  /** The case file, YAML text. */
  readonly text: string;
  /** Cases written (after deduplication). */
  readonly cases: number;
  /** Entries left out, with why (a duplicate request, a truncated body). */
  readonly skipped: readonly string[];
}

/** Connection-level headers, and those the client, the facade or a tracer sets per exchange. */
const DROPPED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'x-request-id',
  // per-request tracing: a new trace on every run
  'traceparent',
  'tracestate',
  'baggage',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-amzn-trace-id',
  'x-cloud-trace-context',
  // the runner's HTTP client negotiates its own encoding
  'accept-encoding',
]);
const AUTH_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

interface RecordedRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
}

/**
 * Turns stored shadow comparisons into a contract case file. Identical requests (same method,
 * path, query, kept headers and body) become one case; mismatches come first.
 */
export function recordCases(
  entries: readonly StoredComparison[],
  options: RecordCasesOptions,
): RecordedCases {
  const ordered = [
    ...entries.filter((entry) => !entry.matches),
    ...entries.filter((entry) => entry.matches),
  ];
  const compare = compareOptionsOf(options.compare ?? undefined, learnedNoise(entries));
  const seen = new Set<string>();
  const skipped: string[] = [];
  const cases: Record<string, unknown>[] = [];
  const methods = new Map<string, number>();
  let pathPattern: string | undefined;
  for (const entry of ordered) {
    const what = `#${entry.id} ${entry.request.method} ${entry.request.url}`;
    const request = recordedRequest(entry, options.keepAuth === true);
    if (typeof request === 'string') {
      skipped.push(`${what}: ${request}`);
      continue;
    }
    const hash = createHash('sha256').update(canonical(request)).digest('hex').slice(0, 8);
    if (seen.has(hash)) {
      skipped.push(`${what}: same request as an earlier case (${hash})`);
      continue;
    }
    seen.add(hash);
    pathPattern ??= entry.route.pathPattern;
    methods.set(request.method, (methods.get(request.method) ?? 0) + 1);
    cases.push({
      name: `${request.method} ${request.path} ${hash}`,
      description: describe(entry),
      request: escapeVariables(request),
      expect: { status: entry.primary.status },
      ...(compare !== undefined && { compare }),
    });
  }
  if (cases.length === 0) return { text: '', cases: 0, skipped };
  const method = [...methods.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const pattern = pathPattern?.startsWith('/') ? pathPattern : `/${pathPattern ?? ''}`;
  const file = {
    endpoint: `${method} ${pattern.replace(/\s+/g, '')}`,
    description: `recorded from shadow traffic of rule ${options.rule}`,
    cases,
  };
  const text =
    `# Recorded by \`strangler routes record-cases --rule ${options.rule}\`; ` +
    'review before committing.\n' +
    stringify(file, { lineWidth: 0, aliasDuplicateObjects: false });
  return { text, cases: cases.length, skipped };
}

function describe(entry: StoredComparison): string {
  const at = new Date(entry.at).toISOString();
  if (entry.matches) return `shadow match #${entry.id} at ${at}`;
  const fields = [...new Set(entry.result.differences.map((difference) => difference.path))];
  return `shadow mismatch #${entry.id} at ${at}: ${fields.join(', ')}`;
}

function recordedRequest(entry: StoredComparison, keepAuth: boolean): RecordedRequest | string {
  const { method, url } = entry.request;
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (!path.startsWith('/')) return `path ${JSON.stringify(path)} does not start with "/"`;
  const request: RecordedRequest = { method: method.toUpperCase(), path };
  if (queryAt !== -1) {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(url.slice(queryAt + 1))) {
      const before = query[name];
      query[name] =
        before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
    }
    if (Object.keys(query).length > 0) request.query = query;
  }
  const headers: Record<string, string> = {};
  const contentType = entry.request.headers['content-type'];
  for (const [name, value] of Object.entries(entry.request.headers)) {
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower)) continue;
    if (!keepAuth && AUTH_HEADERS.has(lower)) continue;
    headers[lower] = value;
  }
  const body = entry.request.body;
  if (body !== undefined && body.bytes > 0) {
    if (body.truncated) return 'request body was truncated when stored';
    if (body.encoding !== 'utf8') return 'request body is binary';
    let parsed: { value: unknown } | undefined;
    if (contentType !== undefined && isJsonContentType(contentType)) {
      try {
        parsed = { value: JSON.parse(body.data.replace(/^\uFEFF/, '')) as unknown };
      } catch {
        parsed = undefined;
      }
    }
    if (parsed !== undefined) {
      request.json = parsed.value;
      // `json` sends `content-type: application/json`; keep a different JSON type as is.
      if (/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(contentType ?? '')) {
        delete headers['content-type'];
      }
    } else {
      request.body = body.data;
    }
  }
  if (Object.keys(headers).length > 0) request.headers = sortKeys(headers);
  return request;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** Stable text of a request for the dedupe hash. */
function canonical(request: RecordedRequest): string {
  return JSON.stringify(request, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? sortKeys(value as Record<string, unknown>)
      : value,
  );
}

/** `${` is a variable reference in case files; recorded text is literal, so `$${`. */
function escapeVariables<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('${', () => '$${') as T;
  if (Array.isArray(value)) return value.map((item: unknown) => escapeVariables(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, escapeVariables(item as unknown)]),
    ) as T;
  }
  return value;
}

/**
 * Body fields the shadow learned as noise (they differed between two primary answers): a case
 * runs each side once, so it ignores them, as the shadow comparison did.
 */
function learnedNoise(entries: readonly StoredComparison[]): string[] {
  const fields = new Set<string>();
  for (const entry of entries) {
    for (const field of entry.result.noisyFields) if (field.startsWith('$')) fields.add(field);
  }
  return [...fields].sort();
}

/** The rule's options a case file accepts (the facade-only ones are left out). */
function compareOptionsOf(
  options: ComparisonOptions | undefined,
  noisy: readonly string[],
): ContractCompareOptions | undefined {
  const out: Record<string, unknown> = {};
  if (noisy.length > 0) {
    out.ignore = [...new Set([...(options?.ignore ?? []), ...noisy])];
  }
  if (options === undefined) return noisy.length > 0 ? out : undefined;
  for (const key of [
    'status',
    'headers',
    'ignore',
    'unordered',
    'numericTolerance',
    'keyOrder',
    'maxDifferences',
    'maxValueChars',
  ] as const) {
    const value = options[key];
    if (value === undefined || out[key] !== undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
