/**
 * One circuit breaker per upstream (state kept across rule reloads, keyed by upstream name):
 *
 *   closed     requests flow; failures (connect errors, timeouts, 5xx) are counted in a sliding
 *              window. When the window holds ≥ minRequests and failures/requests ≥ failureRatio
 *              → open.
 *   open       nothing is sent (the rule's fallback is used, else 503) for openSeconds, then
 *   half-open  ONE request is let through as a probe: success → closed (window cleared),
 *              failure → open again. A probe that never reports (client went away) is replaced
 *              after another openSeconds.
 */
import type { CircuitBreakerConfig } from '../rules/rule-schema.js';
import { SlidingWindow } from './sliding-window.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #config: CircuitBreakerConfig;
  readonly #window: SlidingWindow;
  #openedAt = 0;
  #probeAt = -1;

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

  /** Whether a request may be sent now. In half-open, true once: the caller is the probe. */
  allow(now: number): boolean {
    switch (this.#state) {
      case 'closed':
        return true;
      case 'open':
        if (now - this.#openedAt < this.#config.openSeconds * 1000) return false;
        this.#transition('half-open');
        this.#probeAt = now;
        return true;
      case 'half-open':
        if (now - this.#probeAt < this.#config.openSeconds * 1000) return false;
        this.#probeAt = now; // the previous probe never reported: let another one through
        return true;
    }
  }

  /** Would `allow` refuse? (No side effects: for `/explain`.) */
  isOpen(now: number): boolean {
    return this.#state === 'open' && now - this.#openedAt < this.#config.openSeconds * 1000;
  }

  record(success: boolean, now: number): void {
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
    if (this.#state === 'open') return; // a request sent before the circuit opened
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
