/**
 * Stub upstream, run as a child process by run.ts (it prints nothing; it sends
 * `{ type: 'ready', port }` over IPC once listening on 127.0.0.1).
 *
 * Routes:
 *   GET  /small         ~1 KB JSON (content-length)
 *   GET  /large         ~64 KB JSON (content-length)
 *   POST /echo          streams the request body back (chunked)
 *   GET  /slow-headers  answers /small after 300 ms
 *   GET  /slow-body     sends headers at once, then 16 KB every 50 ms, 20 times (~1 s)
 *   GET  /__stats       counters (UpstreamStats), GET /__reset zeroes the slow counters
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { answerStatsOverIpc } from './common.js';
import type { ReadyMessage, UpstreamSlowStats, UpstreamStats } from './common.js';

export const SLOW_HEADERS_DELAY_MS = 300;
export const SLOW_BODY_CHUNKS = 20;
export const SLOW_BODY_INTERVAL_MS = 50;
const SLOW_BODY_CHUNK = Buffer.alloc(16 * 1024, 'a');

/** Builds a JSON document of roughly `bytes` bytes that looks like an API list response. */
export function makeJson(bytes: number): Buffer {
  const items: { id: number; name: string; email: string; active: boolean; tags: string[] }[] = [];
  let id = 0;
  let doc = '';
  for (;;) {
    items.push({
      id,
      name: `customer-${id}`,
      email: `customer-${id}@example.test`,
      active: id % 3 !== 0,
      tags: ['retail', `region-${id % 7}`],
    });
    id += 1;
    const next = JSON.stringify({ total: items.length, items });
    if (next.length > bytes) break;
    doc = next;
  }
  return Buffer.from(doc);
}

export const SMALL = makeJson(1024);
export const LARGE = makeJson(64 * 1024);

function emptySlow(): UpstreamSlowStats {
  return { started: 0, finished: 0, closedEarly: 0, inFlight: 0, closedEarlyLifetimesMs: [] };
}

function startUpstream(): http.Server {
  let slow = emptySlow();
  let requests = 0;
  let accepted = 0;
  const sockets = new Set<Socket>();

  const sendJson = (res: http.ServerResponse, body: Buffer): void => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  };

  const trackSlow = (res: http.ServerResponse, cleanup: () => void): void => {
    const started = performance.now();
    slow.started += 1;
    slow.inFlight += 1;
    const counters = slow;
    res.on('close', () => {
      counters.inFlight -= 1;
      if (res.writableFinished) {
        counters.finished += 1;
      } else {
        counters.closedEarly += 1;
        counters.closedEarlyLifetimesMs.push(Math.round(performance.now() - started));
        cleanup();
      }
    });
  };

  const server = http.createServer((req, res) => {
    requests += 1;
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/small':
        return sendJson(res, SMALL);
      case '/large':
        return sendJson(res, LARGE);
      case '/echo': {
        const type = req.headers['content-type'] ?? 'application/octet-stream';
        res.writeHead(200, { 'content-type': type });
        req.pipe(res);
        return;
      }
      case '/slow-headers': {
        const timer = setTimeout(() => sendJson(res, SMALL), SLOW_HEADERS_DELAY_MS);
        trackSlow(res, () => clearTimeout(timer));
        req.resume();
        return;
      }
      case '/slow-body': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.flushHeaders();
        let sent = 0;
        const timer = setInterval(() => {
          sent += 1;
          if (sent >= SLOW_BODY_CHUNKS) {
            clearInterval(timer);
            res.end(SLOW_BODY_CHUNK);
          } else {
            res.write(SLOW_BODY_CHUNK);
          }
        }, SLOW_BODY_INTERVAL_MS);
        trackSlow(res, () => clearInterval(timer));
        req.resume();
        return;
      }
      case '/__stats': {
        const stats: UpstreamStats = {
          slow,
          openConnections: sockets.size - 1,
          acceptedConnections: accepted,
          requests,
        };
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify(stats));
        return;
      }
      case '/__reset':
        slow = emptySlow();
        res.writeHead(204, { connection: 'close' });
        res.end();
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
    }
  });
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Long keep-alive so pooled proxy sockets are not closed under the benchmark's feet
  // (the usual keep-alive race would show up as proxy errors unrelated to the core).
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  return server;
}

const isEntry =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry && process.send !== undefined) {
  const server = startUpstream();
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const ready: ReadyMessage = { type: 'ready', port: address.port };
    process.send?.(ready);
  });
  answerStatsOverIpc(server);
  process.on('disconnect', () => process.exit(0));
}
