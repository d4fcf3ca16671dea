/**
 * Runs one strangler facade (the real `startFacade`, the default undici core, access log on, as
 * `main.js` would) in its own process for bench/facade/run.ts.
 * argv: <routes.yaml> [log|nolog]. Sends `{ type: 'ready', port }` over IPC and answers
 * `{ type: 'stats', id }` with RSS, heap and CPU time.
 * `log` (default) logs exactly as main.ts does, `pino({ name, level })` to stdout (run.ts points
 * stdout at /dev/null: written, not kept). `nolog` turns the access log off
 * (STRANGLER_ACCESS_LOG=off): what the per-request line costs (docs/benchmarks.md, Profile).
 */
import { pino } from 'pino';
import { gcIfExposed, isRecord } from '../proxy-core/common.js';
import type { ReadyMessage, StatsReply } from '../proxy-core/common.js';
import { startFacade } from '../../strangler-facade/src/facade.js';

const [routesFile, logMode = 'log'] = process.argv.slice(2);
if (routesFile === undefined) throw new Error('usage: facade-child.js <routes.yaml> [log|nolog]');

const logger = pino({ name: 'strangler-facade', level: 'info' });
const facade = await startFacade({
  routesFile,
  host: '127.0.0.1',
  port: 0,
  adminPort: 0,
  watch: false,
  logger,
  rolloutTickMs: 0,
  shutdownGraceMs: 1000,
  accessLog: logMode !== 'nolog',
});
const ready: ReadyMessage = { type: 'ready', port: facade.port };
process.send?.(ready);

process.on('message', (msg: unknown) => {
  if (!isRecord(msg) || msg.type !== 'stats' || typeof msg.id !== 'number') return;
  gcIfExposed();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const reply: StatsReply = {
    type: 'stats',
    id: msg.id,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    cpuMicros: cpu.user + cpu.system,
    serverConnections: 0,
  };
  process.send?.(reply);
});

process.on('disconnect', () => {
  void facade.close().finally(() => process.exit(0));
});
