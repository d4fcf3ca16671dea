/**
 * A real WebSocket upstream (the `ws` package) on a free loopback port, standing in for a
 * monolith or service with a socket endpoint. Every text message is echoed back prefixed with
 * the upstream's name (`legacy:hello`), binary messages unchanged, so a test sees which side
 * answered; the text `close <code>` makes the upstream close with that code. Plain HTTP requests
 * get `{ "upstream": name }`.
 *
 * Upgrade paths `/refuse/<status>` are answered with that status and a text body instead of 101,
 * as an upstream without the endpoint (404) or wanting another protocol (426) does.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { WebSocketServer, type WebSocket } from 'ws';

export interface ReceivedUpgrade {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface WebSocketUpstream {
  readonly name: string;
  readonly url: string;
  /** Handshakes received, in order. */
  readonly upgrades: ReceivedUpgrade[];
  /** WebSocket connections open on this side now. */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startWebSocketUpstream(name: string): Promise<WebSocketUpstream> {
  const upgrades: ReceivedUpgrade[] = [];
  const sockets = new Set<WebSocket>();
  const connections = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : (data as Buffer).toString('utf8');
      const close = /^close (\d{4})$/.exec(text);
      if (close !== null) ws.close(Number(close[1]), `${name} closes`);
      else if (isBinary) ws.send(data, { binary: true });
      else ws.send(`${name}:${(data as Buffer).toString('utf8')}`);
    });
  });

  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ upstream: name }));
  });
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    const refused = /^\/refuse\/(\d{3})/.exec(req.url ?? '');
    if (refused !== null) {
      const body = `${name} refuses the upgrade`;
      socket.end(
        `HTTP/1.1 ${refused[1]} Refused\r\ncontent-type: text/plain\r\n` +
          `x-refused-by: ${name}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    upgrades,
    openSockets: () => sockets.size,
    async close() {
      for (const ws of sockets) ws.terminate();
      for (const socket of connections) socket.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
