/**
 * A real HTTP upstream on a free loopback port, standing in for legacy or an extracted service.
 * By default it answers every request with JSON describing what it received, so tests can assert
 * which upstream a request reached and with which path and headers.
 *
 * Special paths:
 *   /stream  sends headers and one chunk, then a chunk every 10 ms until the client goes away
 *   /hang    never answers
 *   /echo    streams the request body back
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly rawHeaders: string[];
}

export interface StubUpstream {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  /** Number of /stream responses whose client went away before the end. */
  readonly streamsAborted: () => number;
  /** Number of /hang requests whose connection closed (the facade gave up or was told to). */
  readonly hangsAborted: () => number;
  /** Extra headers added to every default JSON answer. */
  responseHeaders: Record<string, string | string[]>;
  close(): Promise<void>;
}

export async function startStubUpstream(name: string): Promise<StubUpstream> {
  const received: ReceivedRequest[] = [];
  let aborted = 0;
  let hangsAborted = 0;
  const sockets = new Set<import('node:net').Socket>();
  const stub = {
    name,
    received,
    streamsAborted: () => aborted,
    hangsAborted: () => hangsAborted,
    responseHeaders: {} as Record<string, string | string[]>,
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    });
    const path = (req.url ?? '').split('?')[0];
    if (path === '/hang') {
      res.on('close', () => (hangsAborted += 1));
      return;
    }
    if (path === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      const timer = setInterval(() => res.write('more\n'), 10);
      res.on('close', () => {
        clearInterval(timer);
        if (!res.writableFinished) aborted += 1;
      });
      return;
    }
    if (path === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-upstream': name });
      req.pipe(res);
      return;
    }
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        upstream: name,
        method: req.method,
        url: req.url,
        headers: req.headers,
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-upstream': name,
        ...stub.responseHeaders,
      });
      res.end(body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;

  return Object.assign(stub, {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
