/**
 * A real WebSocket client (the `ws` package) for the e2e specs: `openWebSocket` resolves once
 * the handshake succeeded, or rejects with `UpgradeRefused` carrying the HTTP answer the client
 * got instead of 101.
 */
import type { IncomingHttpHeaders } from 'node:http';

import { WebSocket } from 'ws';

export interface ClientSocket {
  readonly ws: WebSocket;
  /** Headers of the 101 response. */
  readonly headers: IncomingHttpHeaders;
  /** Sends a text message and resolves with the next message received. */
  ask(text: string): Promise<string>;
  /** Resolves with the close code and reason when the connection closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: string,
  ) {
    super(`upgrade answered ${status}: ${body}`);
  }
}

export function openWebSocket(
  url: string,
  headers: Record<string, string> = {},
): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let responseHeaders: IncomingHttpHeaders = {};
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.once('close', (code, reason) => done({ code, reason: reason.toString('utf8') })),
    );
    ws.once('upgrade', (response) => (responseHeaders = response.headers));
    ws.once('unexpected-response', (request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        request.destroy();
        const body = Buffer.concat(chunks).toString('utf8');
        reject(new UpgradeRefused(response.statusCode ?? 0, response.headers, body));
      });
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => undefined); // a cut connection shows as `closed`
      resolve({
        ws,
        headers: responseHeaders,
        closed,
        ask(text) {
          const reply = new Promise<string>((answer, fail) => {
            const onClose = (): void => fail(new Error(`closed before a reply to "${text}"`));
            ws.once('message', (data) => {
              ws.off('close', onClose);
              answer((data as Buffer).toString('utf8'));
            });
            ws.once('close', onClose);
          });
          ws.send(text);
          return reply;
        },
      });
    });
  });
}

/** The refusal `openWebSocket` rejected with (fails the test if it opened). */
export async function refusedUpgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<UpgradeRefused> {
  try {
    const opened = await openWebSocket(url, headers);
    opened.ws.terminate();
  } catch (error) {
    if (error instanceof UpgradeRefused) return error;
    throw error;
  }
  throw new Error(`upgrade to ${url} was accepted, a refusal was expected`);
}
