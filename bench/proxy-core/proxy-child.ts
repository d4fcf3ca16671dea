/**
 * Runs one proxy core in its own process (spawned by run.ts with --expose-gc).
 * argv: <core-name> <upstream-url>. Sends `{ type: 'ready', port }` over IPC and answers
 * `{ type: 'stats', id }` requests with RSS / heap (after a GC) / CPU / open client sockets.
 */
import http from 'node:http';
import { ALL_CORE_NAMES, CoreName, ReadyMessage, answerStatsOverIpc } from './common.js';
import { createCore } from './cores.js';

const [name, upstreamUrl] = process.argv.slice(2);
if (!ALL_CORE_NAMES.includes(name as CoreName) || upstreamUrl === undefined) {
  throw new Error(`usage: proxy-child.js <${ALL_CORE_NAMES.join('|')}> <upstream-url>`);
}
const core = createCore(name as CoreName, new URL(upstreamUrl));
const server = http.createServer(core.handler);
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const ready: ReadyMessage = { type: 'ready', port: address.port };
  process.send?.(ready);
});

answerStatsOverIpc(server);

process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  void core.close().finally(() => process.exit(0));
});
