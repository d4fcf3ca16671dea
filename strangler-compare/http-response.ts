/**
 * The response shape the comparison reads, and how its body is interpreted (JSON, empty, or
 * bytes), done once per response.
 */

/** Header values as Node's `IncomingHttpHeaders` / `OutgoingHttpHeaders` hold them. */
export type HeaderValue = string | number | readonly string[] | undefined;
export type HeaderRecord = Readonly<Record<string, HeaderValue>>;

/** An HTTP response as observed by the facade or the contract runner. */
export interface ObservedResponse {
  readonly status: number;
  /** Header names in any case. */
  readonly headers: HeaderRecord;
  /** The whole body (a `Buffer` is a `Uint8Array`); absent or empty = no body. */
  readonly body?: Uint8Array | string;
  /** Overrides the `content-type` header when given. */
  readonly contentType?: string;
}

export type ParsedBody =
  | { readonly kind: 'empty' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'invalid-json'; readonly bytes: Uint8Array; readonly error: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly contentType: string };

/** The value of a header, looked up case-insensitively; several values are joined by ", ". */
export function headerValue(headers: HeaderRecord, lowerCaseName: string): string | undefined {
  let value = headers[lowerCaseName];
  if (value === undefined) {
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === lowerCaseName) {
        value = headers[name];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  return value.map((part) => part.trim()).join(', ');
}

export function contentTypeOf(response: ObservedResponse): string {
  return response.contentType ?? headerValue(response.headers, 'content-type') ?? '';
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** `application/json`, `application/problem+json`, `application/vnd.x+json; charset=utf-8`... */
export function isJsonContentType(contentType: string): boolean {
  return JSON_MEDIA_TYPE.test(contentType);
}

export function bodyBytes(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return EMPTY_BYTES;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

const EMPTY_BYTES = new Uint8Array(0);

/** Interprets a body once: JSON when the content type says so, otherwise bytes. */
export function parseBody(response: ObservedResponse): ParsedBody {
  const { body } = response;
  if (body === undefined || body.length === 0) return { kind: 'empty' };
  const contentType = contentTypeOf(response);
  if (!isJsonContentType(contentType)) {
    return { kind: 'bytes', bytes: bodyBytes(body), contentType };
  }
  let text =
    typeof body === 'string'
      ? body
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch (error) {
    return { kind: 'invalid-json', bytes: bodyBytes(body), error: (error as Error).message };
  }
}
