/**
 * Sends an upgrade request (WebSocket handshake) to an upstream and reports what came back:
 * `switched` (101: the upstream's socket, now a raw byte stream, plus any bytes it sent after
 * the head), `answered` (any other response: the facade relays it), or `failed` (nothing
 * usable came back; mapped like the proxy cores map failures, so the client sees the same
 * 502/504 a plain request would).
 *
 * node:http rather than undici: undici's `upgrade()` throws on a non-101 answer, and the
 * upstream's refusal (404, 426, 401...) is exactly what the client needs to see. Each upgrade
 * gets its own connection (`agent: false`): a tunnel owns its socket for its whole life, so a
 * pool would only hold it.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

import type { CompiledUpstream } from '../rules/compile-rules.js';
import { describeFailure } from './forward-request.js';
import type { ForwardFailure, ProxyCoreOptions } from './proxy-core.js';

export type UpgradeAnswer =
  | {
      readonly kind: 'switched';
      readonly response: IncomingMessage;
      readonly socket: Socket;
      /** Bytes the upstream sent right after its 101 head (already tunnel data). */
      readonly head: Buffer;
    }
  | { readonly kind: 'answered'; readonly response: IncomingMessage }
  | { readonly kind: 'failed'; readonly failure: ForwardFailure };

export interface UpgradeAttempt {
  readonly answer: Promise<UpgradeAnswer>;
  /** Gives up (the client went away): the connection is destroyed, `answer` fails. */
  cancel(): void;
}

export function requestUpgrade(
  upstream: CompiledUpstream,
  path: string,
  /** Flat `[name, value, ...]`, including `Connection: Upgrade` and `Upgrade`. */
  headers: readonly string[],
  timeouts: ProxyCoreOptions,
): UpgradeAttempt {
  const url = new URL(upstream.origin);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const outgoing = request({
    agent: false,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? undefined : Number(url.port),
    method: 'GET',
    path,
    headers: [...headers, 'host', url.host] as unknown as Record<string, string>,
    setHost: false,
  });
  let cancel: () => void = () => undefined;
  const answer = new Promise<UpgradeAnswer>((resolve) => {
    let settled = false;
    const settle = (value: UpgradeAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const fail = (error: unknown): void => {
      if (settled) return; // a later error belongs to the response or the tunnel
      outgoing.destroy();
      settle({ kind: 'failed', failure: describeFailure(error, upstream, timeouts) });
    };
    // The socket must connect, then the response head arrive, each in time.
    let timer = setTimeout(() => fail({ code: 'ETIMEDOUT' }), timeouts.connectTimeoutMs);
    outgoing.once('socket', (socket) => {
      const connected = (): void => {
        clearTimeout(timer);
        timer = setTimeout(
          () => fail({ code: 'UND_ERR_HEADERS_TIMEOUT' }),
          timeouts.headersTimeoutMs,
        );
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    outgoing.once('error', fail);
    outgoing.once('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (settled) socket.destroy();
      else settle({ kind: 'switched', response, socket, head });
    });
    outgoing.once('response', (response: IncomingMessage) => {
      settle({ kind: 'answered', response });
    });
    cancel = () => fail(new Error('client went away'));
  });
  outgoing.end();
  return { answer, cancel: () => cancel() };
}
