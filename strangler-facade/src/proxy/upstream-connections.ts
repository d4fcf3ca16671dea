/**
 * The connection cap of one upstream (`upstreams.<name>.connections` in routes.yaml), shared by
 * both proxy cores. Invariant: however many clients connect, at most `max` requests are on
 * upstream connections (the core's pool opens no more) and at most `queue` more wait for one;
 * the next request is refused at once with a 503 and `Retry-After`, never queued without bound.
 * That refusal is the facade's own: it is not counted against the upstream's circuit breaker.
 */
import type { CompiledUpstream } from '../rules/compile-rules.js';
import type { ConnectionLimits } from '../rules/rule-schema.js';
import type { ForwardFailure } from './proxy-core.js';

/** What a client refused for a full queue is told to wait before trying again. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 1;

export class ConnectionSlots {
  #inFlight = 0;

  constructor(readonly limits: ConnectionLimits) {}

  /** Takes a place on a connection or in the queue; false when the queue is full. */
  tryTake(): boolean {
    if (this.#inFlight >= this.limits.max + this.limits.queue) return false;
    this.#inFlight += 1;
    return true;
  }

  release(): void {
    this.#inFlight -= 1;
  }
}

/**
 * A core's connection pools (`T`: an undici Pool, a node:http Agent), one per origin and cap:
 * two upstream names on one origin with the same cap share one, and a reload that changes the
 * cap gets a new pool while the old one drains. Looked up by the compiled upstream object first
 * (no key string built per request).
 */
export class UpstreamPools<T> {
  readonly #byKey = new Map<string, PoolEntry<T>>();
  readonly #byUpstream = new WeakMap<CompiledUpstream, PoolEntry<T>>();

  constructor(
    private readonly create: (upstream: CompiledUpstream) => T,
    private readonly retire: (pool: T) => void,
  ) {}

  for(upstream: CompiledUpstream): PoolEntry<T> {
    const cached = this.#byUpstream.get(upstream);
    if (cached !== undefined && !cached.retired) return cached;
    const key = poolKey(upstream);
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      entry = {
        pool: this.create(upstream),
        slots: new ConnectionSlots(upstream.connections),
        retired: false,
      };
      this.#byKey.set(key, entry);
    }
    this.#byUpstream.set(upstream, entry);
    return entry;
  }

  /** Retires the pools no upstream of `upstreams` uses any more (requests on them finish). */
  retain(upstreams: readonly CompiledUpstream[]): void {
    const keep = new Set(upstreams.map(poolKey));
    for (const [key, entry] of this.#byKey) {
      if (keep.has(key)) continue;
      this.#byKey.delete(key);
      entry.retired = true;
      this.retire(entry.pool);
    }
  }

  /** Every pool, and forgets them all (shutdown). */
  drain(): T[] {
    const pools = [...this.#byKey.values()].map((entry) => {
      entry.retired = true;
      return entry.pool;
    });
    this.#byKey.clear();
    return pools;
  }
}

export interface PoolEntry<T> {
  readonly pool: T;
  readonly slots: ConnectionSlots;
  retired: boolean;
}

function poolKey(upstream: CompiledUpstream): string {
  const { max, queue } = upstream.connections;
  return `${upstream.origin} ${max} ${queue}`;
}

export function queueFull(upstream: CompiledUpstream): ForwardFailure {
  const { max, queue } = upstream.connections;
  return {
    status: 503,
    error: 'service_unavailable',
    message:
      `upstream "${upstream.name}" is busy: ${max} connections in use and ${queue} requests ` +
      `waiting; try again shortly`,
    kind: 'queue-full',
    retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS,
  };
}
