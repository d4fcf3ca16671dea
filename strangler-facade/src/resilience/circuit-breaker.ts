/**
 * One circuit breaker per upstream (state kept across rule reloads, keyed by upstream name):
 *
 *   closed     requests flow; failures the upstream caused (connect errors, resets, timeouts,
 *              its 5xx; `upstream-fault.ts`) are counted in a sliding window. When the window holds ≥ minRequests and failures/requests ≥ failureRatio
 *              → open.
 *   open       nothing is sent (the rule's fallback is used, else 503) for openSeconds, then
 *   half-open  ONE request is let through as a probe: success → closed (window cleared),
 *              failure → open again. A probe that never reports (client went away) is replaced
 *              after another openSeconds.
 *
 * Only outcomes of requests admitted in the CURRENT state count: `allow` hands out a ticket (the
 * state's epoch; every transition and every new probe starts a new one) and `record` ignores a
 * stale ticket. So a request sent before the circuit opened cannot decide the half-open probe,
 * nor can a replaced probe that reports late, nor can old requests refill a just-closed window.
 */
import type { CircuitBreakerConfig } from '../rules/rule-schema.js';
import { SlidingWindow } from './sliding-window.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** What `allow` returns when nothing may be sent. */
export const REFUSED = -1;

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #config: CircuitBreakerConfig;
  readonly #window: SlidingWindow;
  #openedAt = 0;
  #probeAt = -1;
  /** Ticket of the current state (or of the current probe, in half-open). */
  #epoch = 0;

  constructor(
    readonly upstream: string,
    config: CircuitBreakerConfig,
    private readonly onTransition: (breaker: CircuitBreaker, from: CircuitState) => void = () =>
      undefined,
  ) {
    this.#config = config;
    this.#window = new SlidingWindow(config.windowSeconds * 1000);
  }

  get state(): CircuitState {
    return this.#state;
  }

  configure(config: CircuitBreakerConfig): void {
    if (config === this.#config) return;
    this.#config = config;
    this.#window.resize(config.windowSeconds * 1000);
  }

  /**
   * May a request be sent now? Returns its ticket for `record`, or REFUSED. In half-open, a
   * ticket is handed out once per probe: the caller is the probe.
   */
  allow(now: number): number {
    switch (this.#state) {
      case 'closed':
        return this.#epoch;
      case 'open':
        if (now - this.#openedAt < this.#config.openSeconds * 1000) return REFUSED;
        this.#transition('half-open');
        this.#probeAt = now;
        return this.#epoch;
      case 'half-open':
        if (now - this.#probeAt < this.#config.openSeconds * 1000) return REFUSED;
        this.#probeAt = now; // the previous probe never reported: let another one through
        this.#epoch += 1; // ... and forget it, should it report after all
        return this.#epoch;
    }
  }

  /** Would `allow` refuse? (No side effects: for `/explain`.) */
  isOpen(now: number): boolean {
    return this.#state === 'open' && now - this.#openedAt < this.#config.openSeconds * 1000;
  }

  /** The outcome of a request sent with `ticket` (an upstream fault is a failure). */
  record(ticket: number, success: boolean, now: number): void {
    if (ticket !== this.#epoch) return; // admitted in an earlier state: it decides nothing
    if (this.#state === 'half-open') {
      if (success) {
        this.#window.reset();
        this.#transition('closed');
      } else {
        this.#openedAt = now;
        this.#transition('open');
      }
      return;
    }
    this.#window.add(now, 1, success ? 0 : 1);
    if (success) return;
    const total = this.#window.total(now);
    if (total < this.#config.minRequests) return;
    if (this.#window.marked(now) / total >= this.#config.failureRatio) {
      this.#openedAt = now;
      this.#transition('open');
    }
  }

  #transition(to: CircuitState): void {
    const from = this.#state;
    this.#state = to;
    this.#epoch += 1;
    this.onTransition(this, from);
  }
}

/** The breakers of every upstream the facade has sent to, by upstream name. */
export class CircuitBreakers {
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly onTransition?: (breaker: CircuitBreaker, from: CircuitState) => void,
  ) {}

  for(upstream: {
    readonly name: string;
    readonly circuitBreaker: CircuitBreakerConfig;
  }): CircuitBreaker {
    let breaker = this.#breakers.get(upstream.name);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(upstream.name, upstream.circuitBreaker, this.onTransition);
      this.#breakers.set(upstream.name, breaker);
    } else breaker.configure(upstream.circuitBreaker);
    return breaker;
  }

  states(): Record<string, CircuitState> {
    const out: Record<string, CircuitState> = {};
    for (const [name, breaker] of this.#breakers) out[name] = breaker.state;
    return out;
  }
}
