/**
 * Step 2 of the pipeline: a request whose body framing two servers could read differently is
 * refused (400) before anything is forwarded, so the facade and the upstream never disagree
 * about where one request ends and the next begins (request smuggling).
 *
 * - `Content-Length` together with `Transfer-Encoding`;
 * - `Transfer-Encoding` other than one `chunked` (`gzip, chunked`, `chunked, chunked`,
 *   `chunked` sent twice): upstreams decode codings differently or not at all;
 * - a body on GET or HEAD (any `Transfer-Encoding`, or `Content-Length` above 0): RFC 9110 gives
 *   it no meaning, some servers ignore it and would read it as the next request, and the
 *   facade retries and shadows GETs as safe. A GET without a body, or with `Content-Length: 0`,
 *   passes.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Why the request's framing is refused, or null when it is fine. */
export function framingProblem(method: string, headers: IncomingHttpHeaders): string | null {
  const contentLength = headers['content-length'];
  const transferEncoding = headers['transfer-encoding'];
  if (contentLength !== undefined && transferEncoding !== undefined) {
    return 'request has both Content-Length and Transfer-Encoding';
  }
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') {
    return `Transfer-Encoding "${transferEncoding}" is refused: only a single "chunked" is accepted`;
  }
  if (method === 'GET' || method === 'HEAD') {
    if (transferEncoding !== undefined || Number(contentLength ?? 0) > 0) {
      return `a ${method} request must not have a body`;
    }
  }
  return null;
}
