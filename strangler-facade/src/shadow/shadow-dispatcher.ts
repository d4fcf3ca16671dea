/**
 * Sends shadow copies to candidates OFF the request path: the pipeline `offer`s a finished
 * exchange (the client already has its answer) and returns at once; a bounded queue (full → the
 * copy is dropped and counted) feeds a few workers that send the copy to the candidate (and, to
 * learn noise, once more to the primary for safe methods), read both answers up to a size limit,
 * and hand them to the recorder from setImmediate. Shadow traffic has its own connection pool,
 * so it never takes a socket from client traffic.
 */
import type { Logger } from 'pino';
import { Agent } from 'undici';

import type { ObservedResponse } from '../../../strangler-compare/index.js';
import type { FacadeMetrics } from '../observability/metrics.js';
import { SHADOW_MARKER } from '../request/forwarded-headers.js';
import type { CompiledUpstream } from '../rules/compile-rules.js';
import type { ShadowExchange, ShadowRecorder } from './shadow-recorder.js';

export interface ShadowJob extends ShadowExchange {
  readonly primaryUpstream: CompiledUpstream;
}

export interface ShadowDispatcherOptions {
  readonly recorder: ShadowRecorder;
  readonly metrics: FacadeMetrics | null;
  readonly logger: Logger;
  /** Copies in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Copies waiting; more are dropped (counted as `queue_full`). Default 256. */
  readonly maxQueue?: number;
  /** Per shadow request (connect + response). Default 10 s. */
  readonly timeoutMs?: number;
  /** Candidate / second-primary bodies larger than this are not compared. Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class ShadowDispatcher {
  readonly #queue: ShadowJob[] = [];
  #head = 0;
  #running = 0;
  readonly #agent: Agent;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #maxResponseBytes: number;
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  /** Completed comparisons (for tests and /status). */
  completed = 0;
  dropped = 0;

  constructor(private readonly options: ShadowDispatcherOptions) {
    this.#concurrency = options.concurrency ?? 8;
    this.#maxQueue = options.maxQueue ?? 256;
    this.#maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
    const timeout = options.timeoutMs ?? 10_000;
    this.#agent = new Agent({
      connect: { timeout },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 4_000,
      connections: this.#concurrency * 2,
    });
  }

  get pending(): number {
    return this.#queue.length - this.#head + this.#running;
  }

  /** Queues a copy; false (and counted) when the queue is full or the dispatcher closed. */
  offer(job: ShadowJob): boolean {
    if (this.#closed || this.#queue.length - this.#head >= this.#maxQueue) {
      this.dropped += 1;
      this.options.metrics?.shadowSkipped.labels(job.rule, 'queue_full').inc();
      return false;
    }
    this.#queue.push(job);
    if (this.#running < this.#concurrency) setImmediate(() => this.#pump());
    return true;
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    this.#head = 0;
    await this.#agent.close();
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#head < this.#queue.length) {
      const job = this.#queue[this.#head];
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      this.#running += 1;
      void this.#run(job).finally(() => {
        this.#running -= 1;
        this.#pump();
        if (this.pending === 0) {
          const waiters = this.#idleWaiters;
          this.#idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    }
  }

  async #run(job: ShadowJob): Promise<void> {
    const metrics = this.options.metrics;
    try {
      const learn = job.shadow.learnNoise && SAFE_METHODS.has(job.method);
      const [candidate, second] = await Promise.all([
        this.#send(job.shadow.upstream, job),
        learn ? this.#send(job.primaryUpstream, job) : Promise.resolve(undefined),
      ]);
      if (candidate === null || second === null) {
        metrics?.shadowSkipped.labels(job.rule, 'response_too_large').inc();
        return;
      }
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          try {
            this.options.recorder.record(job, candidate, second);
            this.completed += 1;
          } catch (error) {
            this.options.logger.warn({ err: error, rule: job.rule }, 'shadow comparison failed');
          }
          resolve();
        }),
      );
    } catch (error) {
      metrics?.shadowSkipped.labels(job.rule, 'candidate_error').inc();
      this.options.logger.debug(
        { err: error, rule: job.rule, requestId: job.requestId },
        'shadow request failed',
      );
    }
  }

  /** One copy of the request; null when the answer is larger than the limit. */
  async #send(upstream: CompiledUpstream, job: ShadowJob): Promise<ObservedResponse | null> {
    const response = await this.#agent.request({
      origin: upstream.origin,
      path: job.path,
      method: job.method,
      headers: [...job.requestHeaders, SHADOW_MARKER, '1'],
      body: job.requestBody,
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of response.body) {
      bytes += (chunk as Buffer).length;
      if (bytes > this.#maxResponseBytes) {
        response.body.destroy();
        return null;
      }
      chunks.push(chunk as Buffer);
    }
    return {
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.concat(chunks),
    };
  }
}
