/**
 * Two counters (total, marked) over a sliding time window of fixed buckets: O(1) per event, no
 * allocation after construction. Used by the circuit breaker (requests / failures) and the
 * retry budget (requests / retries).
 */
const BUCKET_COUNT = 10;

export class SlidingWindow {
  readonly #totals = new Float64Array(BUCKET_COUNT);
  readonly #marked = new Float64Array(BUCKET_COUNT);
  #bucketMs: number;
  /** Index of the newest bucket in absolute bucket numbers (time / bucketMs). */
  #head = -1;

  constructor(windowMs: number) {
    this.#bucketMs = Math.max(1, windowMs / BUCKET_COUNT);
  }

  /** Changes the window length (config reload); counts so far are dropped. */
  resize(windowMs: number): void {
    const bucketMs = Math.max(1, windowMs / BUCKET_COUNT);
    if (bucketMs === this.#bucketMs) return;
    this.#bucketMs = bucketMs;
    this.reset();
  }

  reset(): void {
    this.#totals.fill(0);
    this.#marked.fill(0);
    this.#head = -1;
  }

  add(now: number, total: number, marked: number): void {
    const slot = this.#advance(now);
    this.#totals[slot] += total;
    this.#marked[slot] += marked;
  }

  total(now: number): number {
    this.#advance(now);
    let sum = 0;
    for (let index = 0; index < BUCKET_COUNT; index += 1) sum += this.#totals[index];
    return sum;
  }

  marked(now: number): number {
    this.#advance(now);
    let sum = 0;
    for (let index = 0; index < BUCKET_COUNT; index += 1) sum += this.#marked[index];
    return sum;
  }

  #advance(now: number): number {
    const bucket = Math.floor(now / this.#bucketMs);
    if (this.#head === -1 || bucket - this.#head >= BUCKET_COUNT) {
      this.#totals.fill(0);
      this.#marked.fill(0);
    } else {
      for (let next = this.#head + 1; next <= bucket; next += 1) {
        this.#totals[next % BUCKET_COUNT] = 0;
        this.#marked[next % BUCKET_COUNT] = 0;
      }
    }
    if (bucket > this.#head) this.#head = bucket;
    return this.#head % BUCKET_COUNT;
  }
}
