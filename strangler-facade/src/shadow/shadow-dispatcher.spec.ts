import { pino } from 'pino';

import { FacadeMetrics } from '../observability/metrics.js';
import { compileRules } from '../rules/compile-rules.js';
import { routesFileSchema } from '../rules/rule-schema.js';
import { ShadowDispatcher, type ShadowJob } from './shadow-dispatcher.js';
import { ShadowRecorder } from './shadow-recorder.js';

const compiled = compileRules(
  routesFileSchema.parse({
    version: 1,
    upstreams: { legacy: { url: 'http://127.0.0.1:1' }, svc: { url: 'http://127.0.0.1:1' } },
    rules: [
      { name: 'r', match: { prefix: '/r' }, upstream: 'legacy', shadow: { upstream: 'svc' } },
    ],
    default: { upstream: 'legacy' },
  }),
);
if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
const rule = compiled.table.rules[0];

const job = (): ShadowJob => ({
  rule: 'r',
  pathPattern: '/r/*',
  shadow: rule.shadow!,
  method: 'GET',
  path: '/r/1',
  requestHeaders: [],
  requestBody: null,
  primary: { status: 200, headers: {}, body: '{}' },
  primaryUpstream: rule.upstream,
  requestId: 'x',
});

describe('ShadowDispatcher', () => {
  it('drops copies past the queue bound and counts them, never blocking the caller', async () => {
    const metrics = new FacadeMetrics();
    const dispatcher = new ShadowDispatcher({
      recorder: new ShadowRecorder(metrics),
      metrics,
      logger: pino({ level: 'silent' }),
      concurrency: 1,
      maxQueue: 2,
      timeoutMs: 500,
    });
    const accepted = [job(), job(), job(), job()].map((each) => dispatcher.offer(each));
    expect(accepted).toEqual([true, true, false, false]);
    expect(dispatcher.dropped).toBe(2);
    await dispatcher.idle(); // the candidate is unreachable: counted, not thrown
    const text = await metrics.text();
    expect(text).toMatch(/strangler_shadow_skipped_total\{rule="r",reason="queue_full"\} 2/);
    expect(text).toMatch(/strangler_shadow_skipped_total\{rule="r",reason="candidate_error"\} 2/);
    await dispatcher.close();
  });

  it('records comparisons per rule for the rollout controller', () => {
    const recorder = new ShadowRecorder(null);
    const primary = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    };
    recorder.record({ ...job(), primary }, primary, undefined);
    recorder.record({ ...job(), primary }, { ...primary, body: '{"a":2}' }, undefined);
    expect(recorder.countsOf('r')).toEqual({ compared: 2, mismatched: 1 });
    expect(recorder.mismatches('r', 10)).toHaveLength(1);
    expect(recorder.mismatches('other', 10)).toHaveLength(0);
  });
});
