import { ProxyExchange } from '../proxy/proxy-exchange.js';
import { upstreamFailed } from './upstream-fault.js';

describe('upstreamFailed (what a rollout counts as an error)', () => {
  const exchange = (fill: Partial<ProxyExchange>): ProxyExchange =>
    Object.assign(new ProxyExchange(), fill);

  it.each([
    ['the upstream answered 200', {}, 200, false],
    ['the upstream answered 503', {}, 503, true],
    [
      'the facade answered 502 after a refused connection',
      { failure: 'connect', facadeStatus: 502 },
      502,
      true,
    ],
    [
      'the fallback served after a timeout',
      { fallbackFrom: 'svc', fallbackReason: 'timeout' },
      200,
      true,
    ],
    [
      'the circuit was open, the fallback served',
      { fallbackFrom: 'svc', fallbackReason: 'circuit-open' },
      200,
      true,
    ],
    [
      'the facade refused the body (413)',
      { failure: 'body-refused', facadeStatus: 413 },
      413,
      false,
    ],
    ['the facade refused the request (400)', { facadeStatus: 400 }, 400, false],
    ['the client went away before the answer', {}, 0, false],
  ] as const)('%s → %s', (_label, fill, status, failed) => {
    expect(upstreamFailed(exchange(fill as Partial<ProxyExchange>), status)).toBe(failed);
  });
});
