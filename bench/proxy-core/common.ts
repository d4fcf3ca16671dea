/**
 * Shared helpers for the proxy-core benchmark: header filtering, IPC message shapes,
 * and small utilities used by the orchestrator and its child processes.
 */
import type { Server, ServerResponse } from 'node:http';

/** RFC 9110 §7.6.1 hop-by-hop headers (plus the de-facto `proxy-connection`). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Copies `headers` without hop-by-hop headers, including any named in `Connection`. */
export function stripHopByHop(headers: HeaderBag): Record<string, string | string[]> {
  let listed: Set<string> | undefined;
  const connection = headers['connection'];
  if (connection !== undefined) {
    const tokens = (Array.isArray(connection) ? connection.join(',') : connection)
      .toLowerCase()
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '' && t !== 'keep-alive' && t !== 'close');
    if (tokens.length > 0) listed = new Set(tokens);
  }
  const out: Record<string, string | string[]> = {};
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    const lower = key.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower) === true) continue;
    out[lower] = value;
  }
  return out;
}

/** Answers 502 if nothing was sent yet, otherwise cuts the connection (truncated response). */
export function failResponse(res: ServerResponse, err?: Error): void {
  if (res.destroyed) return;
  if (!res.headersSent) {
    res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' });
    res.end('bad gateway');
  } else {
    res.destroy(err);
  }
}

/** The candidates measured by default. */
export const CORE_NAMES = ['http-proxy', 'node-http', 'undici-request', 'undici-stream'] as const;
/** Variants only measured when named with --only. */
export const EXTRA_CORE_NAMES = ['node-http-pipeline'] as const;
export type CoreName = (typeof CORE_NAMES)[number] | (typeof EXTRA_CORE_NAMES)[number];
export const ALL_CORE_NAMES: readonly CoreName[] = [...CORE_NAMES, ...EXTRA_CORE_NAMES];
export type TargetName = 'direct' | CoreName;

export interface ReadyMessage {
  type: 'ready';
  port: number;
}

export interface StatsRequest {
  type: 'stats';
  id: number;
}

export interface ProcStats {
  rss: number;
  heapUsed: number;
  /** process.cpuUsage() user+system, microseconds since process start. */
  cpuMicros: number;
  /** Client-facing TCP connections the server still holds. */
  serverConnections: number;
}

export interface StatsReply extends ProcStats {
  type: 'stats';
  id: number;
}

/** Counters kept by the stub upstream for its slow endpoints. */
export interface UpstreamSlowStats {
  started: number;
  finished: number;
  closedEarly: number;
  inFlight: number;
  /** Lifetime (ms) of requests the upstream saw closed before it finished responding. */
  closedEarlyLifetimesMs: number[];
}

export interface UpstreamStats {
  slow: UpstreamSlowStats;
  /** TCP connections open on the upstream, excluding the one serving this stats request. */
  openConnections: number;
  acceptedConnections: number;
  requests: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function gcIfExposed(): void {
  const maybe = globalThis as { gc?: () => void };
  maybe.gc?.();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Answers `{ type: 'stats', id }` IPC requests from the orchestrator (GC first if exposed). */
export function answerStatsOverIpc(server: Server): void {
  process.on('message', (msg: unknown) => {
    if (!isRecord(msg) || msg.type !== 'stats' || typeof msg.id !== 'number') return;
    const id = msg.id;
    gcIfExposed();
    server.getConnections((_err, count) => {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      const reply: StatsReply = {
        type: 'stats',
        id,
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        cpuMicros: cpu.user + cpu.system,
        serverConnections: count,
      };
      process.send?.(reply);
    });
  });
}
