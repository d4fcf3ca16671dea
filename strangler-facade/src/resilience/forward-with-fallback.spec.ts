/**
 * The fallback decision table with a fake core: which failures are retried, for which methods,
 * within which budget, and what an open circuit does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ForwardFailure, OutgoingRequest, ProxyCore } from '../proxy/proxy-core.js';
import { ProxyExchange } from '../proxy/proxy-exchange.js';
import { compileRules, type CompiledRule } from '../rules/compile-rules.js';
import { routesFileSchema } from '../rules/rule-schema.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { ResilientForwarder, type ForwardPlan } from './forward-with-fallback.js';
import { MIN_RETRIES, RetryBudgets } from './retry-budget.js';

const compiled = compileRules(
  routesFileSchema.parse({
    version: 1,
    upstreams: {
      legacy: { url: 'http://127.0.0.1:3001' },
      svc: { url: 'http://127.0.0.1:3002', circuitBreaker: { minRequests: 2, openSeconds: 60 } },
      canary: { url: 'http://127.0.0.1:3003', circuitBreaker: { minRequests: 1, openSeconds: 60 } },
    },
    rules: [
      {
        name: 'with-fallback',
        match: { prefix: '/a' },
        upstream: 'svc',
        fallback: { upstream: 'legacy', retryBudget: 0 },
      },
      {
        name: 'connect-only',
        match: { prefix: '/b' },
        upstream: 'svc',
        fallback: { upstream: 'legacy', on: ['connect-error'] },
      },
      {
        name: 'canary-only',
        match: { prefix: '/c' },
        upstream: 'legacy',
        canary: { upstream: 'canary', percent: 100 },
      },
    ],
    default: { upstream: 'legacy' },
  }),
);
if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
const [withFallback, connectOnly, canaryOnly] = compiled.table.rules as CompiledRule[];

const failure = (kind: ForwardFailure['kind']): ForwardFailure => ({
  status: 502,
  error: 'bad_gateway',
  message: kind,
  kind,
});

describe('ResilientForwarder', () => {
  let sent: OutgoingRequest[];
  let answers: Map<string, ForwardFailure | null>;
  let breakers: CircuitBreakers;
  let budgets: RetryBudgets;
  let forwarder: ResilientForwarder;
  const core: ProxyCore = {
    forwardRequest: async (_req, _res, outgoing) => {
      sent.push(outgoing);
      return answers.get(outgoing.upstream.name) ?? null;
    },
    close: async () => undefined,
  };
  const res = { headersSent: true, statusCode: 200 } as unknown as ServerResponse;
  const plan = (replayable = true): ForwardPlan => ({
    headers: [],
    body: null,
    replayable,
    capture: null,
    routeHeaders: true,
  });
  const exchange = (rule: CompiledRule, method = 'GET', canary = false): ProxyExchange => {
    const created = new ProxyExchange();
    created.method = method;
    created.route = rule;
    created.upstream = canary && rule.canary ? rule.canary.upstream : rule.upstream;
    created.canary = canary;
    return created;
  };
  const run = (ex: ProxyExchange, replayable = true) =>
    forwarder.forward({} as IncomingMessage, res, ex, plan(replayable));

  beforeEach(() => {
    sent = [];
    answers = new Map();
    breakers = new CircuitBreakers();
    budgets = new RetryBudgets();
    forwarder = new ResilientForwarder(core, breakers, budgets, null);
  });

  it.each([
    ['connect', 'POST', true, ['svc', 'legacy']],
    ['connect', 'POST', false, ['svc']], // body not replayable
    ['timeout', 'GET', true, ['svc', 'legacy']],
    ['timeout', 'POST', true, ['svc']],
    ['reset', 'PUT', true, ['svc', 'legacy']],
    ['reset', 'PATCH', true, ['svc']],
  ] as const)('%s on %s (replayable %s) → sent to %j', async (kind, method, replayable, to) => {
    answers.set('svc', failure(kind));
    const ex = exchange(withFallback, method);
    await run(ex, replayable);
    expect(sent.map((outgoing) => outgoing.upstream.name)).toEqual(to);
    if (to.length === 2) expect(ex).toMatchObject({ fallbackFrom: 'svc', fallbackReason: kind });
    else expect(ex.retryRefused).not.toBeNull();
  });

  it('holds back a 5xx only when it may be retried (idempotent, replayable, configured)', async () => {
    await run(exchange(withFallback, 'GET'));
    await run(exchange(withFallback, 'POST'));
    await run(exchange(connectOnly, 'GET'));
    expect(sent.map((outgoing) => outgoing.divert5xx)).toEqual([true, false, false]);
  });

  it('stops retrying when the budget is spent (ratio 0: only the floor)', async () => {
    answers.set('svc', failure('timeout'));
    const results: (string | null)[] = [];
    for (let index = 0; index < MIN_RETRIES + 2; index += 1) {
      breakers = new CircuitBreakers(); // keep the circuit out of it
      forwarder = new ResilientForwarder(core, breakers, budgets, null);
      const ex = exchange(withFallback);
      await run(ex);
      results.push(ex.retryRefused);
    }
    expect(results.filter((refused) => refused === null)).toHaveLength(MIN_RETRIES);
    expect(results.at(-1)).toBe('budget_exhausted');
  });

  it.each(['connect', 'reset'] as const)(
    'retries a lost connection (%s) on a GET outside the budget, however many',
    async (kind) => {
      answers.set('svc', failure(kind));
      const results: (string | null)[] = [];
      for (let index = 0; index < MIN_RETRIES * 4; index += 1) {
        breakers = new CircuitBreakers(); // keep the circuit out of it
        forwarder = new ResilientForwarder(core, breakers, budgets, null);
        const ex = exchange(withFallback);
        await run(ex);
        results.push(ex.fallbackFrom);
      }
      expect(results.every((from) => from === 'svc')).toBe(true);
      // ... and the budget is still whole for the retries that cost
      answers.set('svc', failure('timeout'));
      const ex = exchange(withFallback);
      await run(ex);
      expect(ex.retryRefused).toBeNull();
    },
  );

  it('sends nothing to an open circuit: the fallback serves', async () => {
    answers.set('svc', failure('connect'));
    await run(exchange(withFallback));
    await run(exchange(withFallback));
    expect(breakers.states().svc).toBe('open');
    sent = [];
    const ex = exchange(withFallback);
    await run(ex);
    expect(sent.map((outgoing) => outgoing.upstream.name)).toEqual(['legacy']);
    expect(ex).toMatchObject({ fallbackFrom: 'svc', fallbackReason: 'circuit-open' });
  });

  it('hands a canary share back to the primary while the canary circuit is open', async () => {
    answers.set('canary', failure('connect'));
    await run(exchange(canaryOnly, 'GET', true)); // no fallback: fails, opens
    expect(breakers.states().canary).toBe('open');
    sent = [];
    const result = await run(exchange(canaryOnly, 'GET', true));
    expect(result).toBeNull();
    expect(sent.map((outgoing) => outgoing.upstream.name)).toEqual(['legacy']);
  });

  it('answers 503 for an open circuit without a fallback', async () => {
    answers.set('svc', failure('connect'));
    const rule = { ...connectOnly, fallback: null };
    await run(exchange(rule));
    await run(exchange(rule));
    sent = [];
    const result = await run(exchange(rule));
    expect(sent).toEqual([]);
    expect(result).toMatchObject({ status: 503, error: 'service_unavailable' });
  });
});
