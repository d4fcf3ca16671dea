import { CircuitBreaker, REFUSED } from './circuit-breaker.js';
import { MIN_RETRIES, RetryBudgets } from './retry-budget.js';

const config = { failureRatio: 0.5, minRequests: 4, windowSeconds: 10, openSeconds: 5 };

describe('CircuitBreaker', () => {
  it('opens at the failure ratio once the window has minRequests, probes, and closes', () => {
    const transitions: string[] = [];
    const breaker = new CircuitBreaker('svc', config, (b, from) =>
      transitions.push(`${from}→${b.state}`),
    );
    let now = 1_000;
    const ticket = breaker.allow(now);
    breaker.record(ticket, false, now);
    breaker.record(ticket, false, now);
    breaker.record(ticket, false, now); // 3 < minRequests
    expect(breaker.state).toBe('closed');
    breaker.record(ticket, true, now);
    breaker.record(ticket, false, now); // 4 of 5 failed
    expect(breaker.state).toBe('open');
    expect(breaker.allow(now + 4_999)).toBe(REFUSED);
    now += 5_000;
    const probe = breaker.allow(now);
    expect(probe).not.toBe(REFUSED);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow(now)).toBe(REFUSED); // only one probe
    breaker.record(probe, false, now); // probe failed
    expect(breaker.state).toBe('open');
    now += 5_000;
    const second = breaker.allow(now);
    breaker.record(second, true, now);
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
    for (let i = 0; i < 3; i += 1) breaker.record(breaker.allow(0), false, 0);
    breaker.record(breaker.allow(20_000), false, 20_000);
    expect(breaker.state).toBe('closed');
  });

  it('replaces a probe that never reported', () => {
    const breaker = new CircuitBreaker('svc', { ...config, minRequests: 1 });
    breaker.record(breaker.allow(0), false, 0);
    expect(breaker.allow(5_000)).not.toBe(REFUSED);
    expect(breaker.allow(6_000)).toBe(REFUSED);
    expect(breaker.allow(10_000)).not.toBe(REFUSED);
  });

  it('lets only the probe decide half-open: requests sent before the transition count for nothing', () => {
    const breaker = new CircuitBreaker('svc', { ...config, minRequests: 1 });
    const slow = breaker.allow(0); // sent while closed, answers much later
    breaker.record(breaker.allow(0), false, 0); // opens
    expect(breaker.allow(1_000)).toBe(REFUSED);
    const probe = breaker.allow(5_000);
    expect(breaker.state).toBe('half-open');
    breaker.record(slow, true, 5_100); // a success from before: must not close it
    expect(breaker.state).toBe('half-open');
    breaker.record(slow, false, 5_200); // nor a failure re-open it
    expect(breaker.state).toBe('half-open');
    breaker.record(probe, true, 5_300);
    expect(breaker.state).toBe('closed');
  });

  it('ignores a replaced probe that reports late', () => {
    const breaker = new CircuitBreaker('svc', { ...config, minRequests: 1 });
    breaker.record(breaker.allow(0), false, 0);
    const lost = breaker.allow(5_000);
    const replacement = breaker.allow(10_000);
    breaker.record(lost, false, 10_100);
    expect(breaker.state).toBe('half-open');
    breaker.record(replacement, true, 10_200);
    expect(breaker.state).toBe('closed');
  });

  it('does not refill a closed window with outcomes of requests sent before it opened', () => {
    const breaker = new CircuitBreaker('svc', { ...config, minRequests: 2 });
    const old = [breaker.allow(0), breaker.allow(0), breaker.allow(0)];
    breaker.record(old[0], false, 0);
    breaker.record(old[1], false, 0); // opens
    breaker.record(breaker.allow(5_000), true, 5_000); // probe closes
    breaker.record(old[2], false, 5_100);
    breaker.record(breaker.allow(5_200), false, 5_200); // 1 failure of 1: below minRequests
    expect(breaker.state).toBe('closed');
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
