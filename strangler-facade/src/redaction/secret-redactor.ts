/**
 * Takes secrets out of what the facade keeps or writes down: shadow comparisons stored for the
 * admin plane (and exported as contract cases) and the access log. Invariant: a value named
 * secret never reaches a store or a log line; it is replaced by `[redacted]` at the moment of
 * storing, after the comparison ran on the real exchange.
 *
 * Secret are, always, the `Authorization`, `Cookie`, `Set-Cookie` and `Proxy-Authorization`
 * headers, plus what `settings.secrets` in routes.yaml lists: header names (requests and
 * responses), query parameters (also the fields of form-encoded bodies) and JSON body paths
 * (strangler-compare's path syntax, e.g. `$.password` or `$..token`). A JSON path redacts the
 * whole value at that place, whatever it holds. Compiled once per rules load; pure.
 */
import {
  headerValue,
  isJsonContentType,
  parseJsonPath,
  PathRuleSet,
  type ComparisonRecord,
  type ComparisonResult,
  type Difference,
  type HeaderRecord,
  type HeaderValue,
  type ObservedResponse,
  type PathSegment,
  type PathState,
} from '../../../strangler-compare/index.js';

export const REDACTED = '[redacted]';

/** Headers that are secret whatever routes.yaml says. */
export const ALWAYS_SECRET_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
]);

export interface SecretsConfig {
  readonly headers: readonly string[];
  readonly query: readonly string[];
  readonly jsonPaths: readonly string[];
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;
const REDACTED_JSON = JSON.stringify(REDACTED);

export class SecretRedactor {
  /** Only the always-secret headers. */
  static readonly DEFAULT = new SecretRedactor({ headers: [], query: [], jsonPaths: [] });

  readonly #headers: ReadonlySet<string>;
  readonly #query: ReadonlySet<string>;
  readonly #paths: PathRuleSet<true> | null;

  /** As configured (names and paths, no values): shown by the admin plane's `/rules`. */
  readonly config: SecretsConfig;

  constructor(config: SecretsConfig) {
    this.config = Object.freeze({
      headers: Object.freeze([...config.headers]),
      query: Object.freeze([...config.query]),
      jsonPaths: Object.freeze([...config.jsonPaths]),
    });
    this.#headers = new Set([
      ...ALWAYS_SECRET_HEADERS,
      ...config.headers.map((name) => name.toLowerCase()),
    ]);
    this.#query = new Set(config.query);
    this.#paths =
      config.jsonPaths.length === 0
        ? null
        : new PathRuleSet(config.jsonPaths.map((expression) => ({ expression, action: true })));
  }

  /** Whether a (lower-case) header name is secret. */
  isSecretHeader(lowerName: string): boolean {
    return this.#headers.has(lowerName);
  }

  /** A copy of `headers` with secret values replaced (names kept, so a reader sees they were sent). */
  headers(headers: HeaderRecord): Record<string, HeaderValue> {
    const out: Record<string, HeaderValue> = {};
    for (const name of Object.keys(headers)) {
      out[name] = this.#headers.has(name.toLowerCase()) ? REDACTED : headers[name];
    }
    return out;
  }

  /** `path?query` with the values of secret query parameters replaced; the rest byte for byte. */
  url(pathAndQuery: string): string {
    if (this.#query.size === 0) return pathAndQuery;
    const queryAt = pathAndQuery.indexOf('?');
    if (queryAt < 0) return pathAndQuery;
    return pathAndQuery.slice(0, queryAt + 1) + this.#formFields(pathAndQuery.slice(queryAt + 1));
  }

  /** A body with secret JSON paths (JSON) or secret fields (form-encoded) replaced. */
  body(
    body: Uint8Array | string | undefined,
    contentType: string,
  ): Uint8Array | string | undefined {
    if (body === undefined || body.length === 0) return body;
    if (this.#paths !== null && isJsonContentType(contentType)) {
      const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return body; // not JSON after all: nothing at a JSON path to find
      }
      const redacted = this.#redactJson(value, this.#paths.root);
      return redacted === value ? body : JSON.stringify(redacted);
    }
    if (this.#query.size > 0 && FORM_TYPE.test(contentType)) {
      const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
      return this.#formFields(text);
    }
    return body;
  }

  /** The record to store for one shadow comparison: request, answers and differences redacted. */
  comparisonRecord(record: ComparisonRecord): ComparisonRecord {
    const request = record.request;
    const requestHeaders = request.headers ?? {};
    const requestBody = this.body(request.body, headerValue(requestHeaders, 'content-type') ?? '');
    return {
      ...record,
      request: {
        method: request.method,
        url: this.url(request.url),
        headers: this.headers(requestHeaders),
        ...(requestBody !== undefined && { body: requestBody }),
      },
      primary: this.response(record.primary),
      candidate: this.response(record.candidate),
      ...(record.secondPrimary !== undefined && {
        secondPrimary: this.response(record.secondPrimary),
      }),
      result: this.result(record.result),
    };
  }

  response(response: ObservedResponse): ObservedResponse {
    const contentType = response.contentType ?? headerValue(response.headers, 'content-type') ?? '';
    const body = this.body(response.body, contentType);
    return {
      ...response,
      headers: this.headers(response.headers),
      ...(body !== undefined && { body }),
    };
  }

  /** Differences keep their place but not a secret value (`headers.cookie`, `$.password`...). */
  result(result: ComparisonResult): ComparisonResult {
    const differences = this.#differences(result.differences);
    const noise = this.#differences(result.noise);
    return differences === result.differences && noise === result.noise
      ? result
      : { ...result, differences, noise };
  }

  #differences(list: readonly Difference[]): readonly Difference[] {
    let out: Difference[] | null = null;
    list.forEach((difference, index) => {
      const redacted = this.#difference(difference);
      if (redacted === difference) return;
      out ??= [...list];
      out[index] = redacted;
    });
    return out ?? list;
  }

  #difference(difference: Difference): Difference {
    if (difference.kind === 'header') {
      const name = difference.path.slice('headers.'.length);
      return this.#headers.has(name) ? withValues(difference, () => REDACTED_JSON) : difference;
    }
    if (this.#paths === null || !difference.concretePath.startsWith('$')) return difference;
    const state = this.#stateAt(difference.concretePath);
    if (state === null || state.length === 0) return difference;
    if (this.#paths.matchesAt(state)) return withValues(difference, () => REDACTED_JSON);
    // A secret lies below this place (e.g. a whole object missing): redact inside the value.
    return withValues(difference, (text) => {
      try {
        return JSON.stringify(this.#redactJson(JSON.parse(text), state));
      } catch {
        return REDACTED_JSON; // cut to its preview length: cannot look inside, keep nothing
      }
    });
  }

  /** The path state at a concrete location, or null when a secret path covers an ancestor. */
  #stateAt(concretePath: string): PathState | null {
    const paths = this.#paths;
    if (paths === null) return [];
    let segments: PathSegment[];
    try {
      segments = parseJsonPath(concretePath).map((step) =>
        step.kind === 'member' ? step.name : step.kind === 'index' ? step.index : '*',
      );
    } catch {
      return [];
    }
    let state = paths.root;
    for (const segment of segments) {
      state = paths.advance(state, segment);
      if (paths.matchesAt(state)) return state; // this place or an ancestor is secret
    }
    return state;
  }

  #redactJson(value: unknown, state: PathState): unknown {
    const paths = this.#paths;
    if (paths === null || state.length === 0) return value;
    if (paths.matchesAt(state)) return REDACTED;
    if (Array.isArray(value)) {
      const items = value as readonly unknown[];
      let out: unknown[] | null = null;
      items.forEach((item, index) => {
        const next = this.#redactJson(item, paths.advance(state, index));
        if (next === item) return;
        out ??= [...items];
        out[index] = next;
      });
      return out ?? value;
    }
    if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      let out: Record<string, unknown> | null = null;
      for (const key of Object.keys(record)) {
        const next = this.#redactJson(record[key], paths.advance(state, key));
        if (next === record[key]) continue;
        out ??= { ...record };
        out[key] = next;
      }
      return out ?? value;
    }
    return value;
  }

  /** `a=1&token=x` → `a=1&token=[redacted]` for secret names (decoded before comparing). */
  #formFields(fields: string): string {
    return fields
      .split('&')
      .map((field) => {
        const equals = field.indexOf('=');
        const rawName = equals < 0 ? field : field.slice(0, equals);
        return this.#query.has(decodeFormName(rawName)) ? `${rawName}=${REDACTED}` : field;
      })
      .join('&');
  }
}

function decodeFormName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

function withValues(difference: Difference, redact: (text: string) => string): Difference {
  return {
    ...difference,
    ...(difference.primary !== undefined && { primary: redact(difference.primary) }),
    ...(difference.candidate !== undefined && { candidate: redact(difference.candidate) }),
  };
}
