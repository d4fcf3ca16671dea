/**
 * The facade's own answers (400 for requests it refuses, 502/504 when the upstream fails): small
 * JSON bodies that always carry the request id, so a client report can be traced in the logs.
 */
import type { ServerResponse } from 'node:http';

export interface FacadeErrorBody {
  readonly error:
    'bad_request' | 'payload_too_large' | 'bad_gateway' | 'service_unavailable' | 'gateway_timeout';
  readonly message: string;
  readonly upstream?: string;
  readonly requestId: string;
}

export function sendFacadeError(
  res: ServerResponse,
  status: number,
  body: FacadeErrorBody,
  extraHeaders: readonly string[],
  closeConnection = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = JSON.stringify(body);
  const headers = [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(payload)),
    'cache-control',
    'no-store',
    ...extraHeaders,
  ];
  if (closeConnection) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(payload);
}
