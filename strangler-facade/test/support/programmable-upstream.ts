/**
 * A stub upstream whose answer the test sets (`upstream.handler = ...`), that records what it
 * received (with bodies), and that can be KILLED (server closed, every socket destroyed) and
 * RESTARTED on the same port, for fallback and circuit-breaker tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface ProgrammableUpstream {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly received: Received[];
  handler: Handler;
  /** Stops listening and cuts every connection (the process "dies"). */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function jsonAnswer(name: string): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
    res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url }));
  };
}

export async function startProgrammableUpstream(
  name: string,
  port = 0,
): Promise<ProgrammableUpstream> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const upstream = {
    name,
    received,
    handler: jsonAnswer(name),
    port: 0,
    url: '',
  };

  const listen = async (onPort: number): Promise<number> => {
    const created = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        upstream.handler(req, res, body);
      });
    });
    created.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    created.listen(onPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      created.once('listening', resolve);
      created.once('error', reject);
    });
    server = created;
    return (created.address() as AddressInfo).port;
  };

  const kill = (): Promise<void> =>
    new Promise((resolve) => {
      const current = server;
      server = null;
      if (current === null) return resolve();
      for (const socket of sockets) socket.destroy();
      current.close(() => resolve());
    });

  upstream.port = await listen(port);
  upstream.url = `http://127.0.0.1:${upstream.port}`;
  return Object.assign(upstream, {
    kill,
    restart: async () => {
      await listen(upstream.port);
    },
    close: kill,
  });
}
