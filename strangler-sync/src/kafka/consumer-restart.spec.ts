import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';

import { kafkaRestartPolicy } from './consumer-restart.js';

/** What the broker answers while a fresh group coordinator loads (retriable). */
const groupLoading = () =>
  new KafkaJSProtocolError('The coordinator is loading and hence can not process requests');

describe('kafkaRestartPolicy', () => {
  it('restarts after a retriable broker error, a bounded number of times', async () => {
    const restarts: number[] = [];
    const policy = kafkaRestartPolicy({
      maxRestarts: 2,
      stopping: () => false,
      onRestart: (_error, restart) => restarts.push(restart),
    });
    expect(await policy(groupLoading())).toBe(true);
    expect(await policy(groupLoading())).toBe(true);
    expect(await policy(groupLoading())).toBe(false);
    expect(restarts).toEqual([1, 2]);
  });

  it('never restarts after an apply error or while stopping', async () => {
    const policy = kafkaRestartPolicy({ maxRestarts: 5, stopping: () => false });
    const applyError = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(await policy(applyError)).toBe(false);
    expect(await policy(new KafkaJSNonRetriableError('unknown topic'))).toBe(false);
    const stopping = kafkaRestartPolicy({ maxRestarts: 5, stopping: () => true });
    expect(await stopping(groupLoading())).toBe(false);
  });
});
