/**
 * Captures: values taken from a response into variables for the requests that follow, on each
 * side separately. A source is `$.json.path` naming one value (`$.id`, `$.items[0].tags[0]`),
 * `status`, or `headers.<name>`.
 */
import {
  headerValue,
  isJsonContentType,
  JsonPathSyntaxError,
  parseJsonPath,
} from '../../strangler-compare/index.js';

/** A response as the runner holds it. */
export interface CapturedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

const HEADER_PREFIX = 'headers.';

/** Why a capture source is not valid, or null. */
export function captureSourceProblem(source: string): string | null {
  if (source === 'status') return null;
  if (source.startsWith(HEADER_PREFIX)) {
    return source.length > HEADER_PREFIX.length ? null : 'headers. needs a header name';
  }
  if (!source.startsWith('$')) {
    return `capture "${source}": use a JSON path ($.id), status, or headers.<name>`;
  }
  try {
    const steps = parseJsonPath(source);
    if (steps.some((step) => step.kind === 'any' || step.descendant)) {
      return `capture "${source}" must name one value: no [*], .* or ..`;
    }
    return null;
  } catch (error) {
    if (error instanceof JsonPathSyntaxError) return error.message;
    throw error;
  }
}

export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

/** The value `source` names in `response`; throws `CaptureError` when it is not there. */
export function captureValue(source: string, response: CapturedResponse): unknown {
  if (source === 'status') return response.status;
  if (source.startsWith(HEADER_PREFIX)) {
    const name = source.slice(HEADER_PREFIX.length).toLowerCase();
    const value = headerValue(response.headers, name);
    if (value === undefined) throw new CaptureError(`no ${name} header in the response`);
    return value;
  }
  const contentType = headerValue(response.headers, 'content-type') ?? '';
  if (!isJsonContentType(contentType)) {
    throw new CaptureError(`${source}: the response is not JSON (${contentType || 'no type'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(response.body.toString('utf8'));
  } catch (error) {
    throw new CaptureError(`${source}: the response body is not valid JSON (${String(error)})`);
  }
  for (const step of parseJsonPath(source)) {
    if (step.kind === 'member' && isRecord(value) && Object.hasOwn(value, step.name)) {
      value = value[step.name];
    } else if (step.kind === 'index' && Array.isArray(value) && step.index < value.length) {
      value = value[step.index] as unknown;
    } else {
      throw new CaptureError(`${source} is not in the response`);
    }
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
