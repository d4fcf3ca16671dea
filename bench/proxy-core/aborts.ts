/**
 * Client-abort behaviour: fire N concurrent requests at a slow upstream endpoint through
 * the target, destroy each client request after `abortAfterMs`, then ask the upstream
 * what it saw (closed early vs. answered in full vs. still in flight) and how many TCP
 * connections the target still holds to it.
 */
import http from 'node:http';
import { Child } from './children.js';
import { UpstreamStats, sleep } from './common.js';
import { SLOW_BODY_CHUNKS, SLOW_BODY_INTERVAL_MS, SLOW_HEADERS_DELAY_MS } from './upstream.js';

export type AbortVariant = 'slow-headers' | 'slow-body';

export interface AbortWaveResult {
  variant: AbortVariant;
  requests: number;
  abortAfterMs: number;
  /** Client requests that completed before the abort timer (should be 0). */
  clientCompleted: number;
  upstreamStarted: number;
  /** Upstream saw the request closed before it finished responding (abort propagated). */
  upstreamClosedEarly: number;
  /** Upstream answered in full although the client was gone (wasted upstream work). */
  upstreamFinished: number;
  /** Still open on the upstream when checked (stuck / leaked exchanges). */
  upstreamInFlight: number;
  /** Median ms from upstream receiving the request to seeing it closed (abort latency + 50 ms). */
  upstreamCloseMedianMs: number | null;
  /** Proxy->upstream TCP connections still open when checked (idle pool + stuck). */
  upstreamOpenConnections: number;
  /** Client-facing connections the proxy still holds when checked (should be 0). */
  proxyClientConnections: number | null;
  checkedAfterMs: number;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function getJson<T>(port: number, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve((text === '' ? null : JSON.parse(text)) as T);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Sends `n` requests at once; each one is destroyed `abortAfterMs` after it was sent. */
function fireAndAbort(
  port: number,
  path: string,
  n: number,
  abortAfterMs: number,
): Promise<number> {
  const agent = new http.Agent({ keepAlive: false });
  let completed = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path, agent });
      const timer = setTimeout(() => req.destroy(), abortAfterMs);
      req.on('response', (res) => {
        res.on('error', () => undefined);
        res.resume();
        res.on('end', () => {
          completed += 1;
          clearTimeout(timer);
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end();
    });
  return Promise.all(Array.from({ length: n }, one)).then(() => {
    agent.destroy();
    return completed;
  });
}

export async function abortWave(
  target: Child,
  upstream: Child,
  variant: AbortVariant,
  n: number,
  abortAfterMs: number,
  proxied: boolean,
): Promise<AbortWaveResult> {
  const upstreamWorkMs =
    variant === 'slow-headers' ? SLOW_HEADERS_DELAY_MS : SLOW_BODY_CHUNKS * SLOW_BODY_INTERVAL_MS;
  // Long enough for a non-propagating core to have finished the upstream exchange.
  const checkAfterMs = upstreamWorkMs + 700;
  await getJson<null>(upstream.port, '/__reset');
  const start = performance.now();
  const clientCompleted = await fireAndAbort(target.port, `/${variant}`, n, abortAfterMs);
  await sleep(Math.max(0, checkAfterMs - (performance.now() - start)));
  const stats = await getJson<UpstreamStats>(upstream.port, '/__stats');
  const proxyStats = proxied ? await target.stats() : null;
  return {
    variant,
    requests: n,
    abortAfterMs,
    clientCompleted,
    upstreamStarted: stats.slow.started,
    upstreamClosedEarly: stats.slow.closedEarly,
    upstreamFinished: stats.slow.finished,
    upstreamInFlight: stats.slow.inFlight,
    upstreamCloseMedianMs: median(stats.slow.closedEarlyLifetimesMs),
    upstreamOpenConnections: stats.openConnections,
    proxyClientConnections: proxyStats?.serverConnections ?? null,
    checkedAfterMs: Math.round(performance.now() - start),
  };
}

/** Many abort waves back to back, for RSS growth; returns the number of aborted requests. */
export async function abortStorm(
  target: Child,
  rounds: number,
  n: number,
  abortAfterMs: number,
): Promise<number> {
  for (let i = 0; i < rounds; i++) {
    await fireAndAbort(target.port, '/slow-headers', n, abortAfterMs);
    await sleep(SLOW_HEADERS_DELAY_MS);
  }
  return rounds * n;
}
