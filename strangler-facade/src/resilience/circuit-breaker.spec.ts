import { CircuitBreaker } from './circuit-breaker.js';
import { MIN_RETRIES, RetryBudgets } from './retry-budget.js';

const config = { failureRatio: 0.5, minRequests: 4, windowSeconds: 10, openSeconds: 5 };

describe('CircuitBreaker', () => {
  it('opens at the failure ratio once the window has minRequests, probes, and closes', () => {
    const transitions: string[] = [];
    const breaker = new CircuitBreaker('svc', config, (b, from) =>
      transitions.push(`${from}→${b.state}`),
    );
    let now = 1_000;
    breaker.record(false, now);
    breaker.record(false, now);
    breaker.record(false, now); // 3 < minRequests
    expect(breaker.state).toBe('closed');
    breaker.record(true, now);
    breaker.record(false, now); // 4 of 5 failed
    expect(breaker.state).toBe('open');
    expect(breaker.allow(now + 4_999)).toBe(false);
    now += 5_000;
    expect(breaker.allow(now)).toBe(true); // the probe
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow(now)).toBe(false); // only one probe
    breaker.record(false, now); // probe failed
    expect(breaker.state).toBe('open');
    now += 5_000;
    expect(breaker.allow(now)).toBe(true);
    breaker.record(true, now);
    expect(breaker.state).toBe('closed');
    expect(transitions).toEqual([
      'closed→open',
      'open→half-open',
      'half-open→open',
      'open→half-open',
      'half-open→closed',
    ]);
  });

  it('forgets failures older than the window', () => {
    const breaker = new CircuitBreaker('svc', config);
    for (let i = 0; i < 3; i += 1) breaker.record(false, 0);
    breaker.record(false, 20_000);
    expect(breaker.state).toBe('closed');
  });

  it('replaces a probe that never reported', () => {
    const breaker = new CircuitBreaker('svc', { ...config, minRequests: 1 });
    breaker.record(false, 0);
    expect(breaker.allow(5_000)).toBe(true);
    expect(breaker.allow(6_000)).toBe(false);
    expect(breaker.allow(10_000)).toBe(true);
  });
});

describe('RetryBudgets', () => {
  it('allows ratio × requests plus the floor per window', () => {
    const budgets = new RetryBudgets();
    for (let i = 0; i < 100; i += 1) budgets.recordRequest('r', 0);
    let granted = 0;
    while (budgets.tryRetry('r', 0.2, 0)) granted += 1;
    expect(granted).toBe(20 + MIN_RETRIES);
    expect(budgets.tryRetry('r', 0.2, 20_000)).toBe(true); // a new window
  });
});
