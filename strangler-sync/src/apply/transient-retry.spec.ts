import { withTransientRetry } from './transient-retry.js';

const pgError = (code: string, message = `error ${code}`) =>
  Object.assign(new Error(message), { code });

describe('withTransientRetry', () => {
  it('tries a deadlocked transaction again and returns its result', async () => {
    const seen: number[] = [];
    const retried: string[] = [];
    const result = await withTransientRetry(
      async (tryNumber) => {
        seen.push(tryNumber);
        if (tryNumber < 3) throw pgError(tryNumber === 1 ? '40P01' : '40001');
        return 'applied';
      },
      {
        initialDelayMs: 1,
        onRetry: (error) => retried.push((error as { code: string }).code),
      },
    );
    expect(result).toBe('applied');
    expect(seen).toEqual([1, 2, 3]);
    expect(retried).toEqual(['40P01', '40001']);
  });

  it('throws an error about the data at once', async () => {
    let tries = 0;
    await expect(
      withTransientRetry(
        () => {
          tries += 1;
          return Promise.reject(pgError('23505', 'duplicate key'));
        },
        { initialDelayMs: 1 },
      ),
    ).rejects.toThrow('duplicate key');
    expect(tries).toBe(1);
  });

  it('gives up with the last transient error after the bounded number of tries', async () => {
    let tries = 0;
    await expect(
      withTransientRetry(
        () => {
          tries += 1;
          return Promise.reject(pgError('40P01', `deadlock ${tries}`));
        },
        { attempts: 3, initialDelayMs: 1 },
      ),
    ).rejects.toThrow('deadlock 3');
    expect(tries).toBe(3);
  });

  it('stops trying when told to (the pipeline is stopping)', async () => {
    let tries = 0;
    await expect(
      withTransientRetry(
        () => {
          tries += 1;
          return Promise.reject(pgError('40P01'));
        },
        { initialDelayMs: 1, shouldContinue: () => false },
      ),
    ).rejects.toThrow('error 40P01');
    expect(tries).toBe(1);
  });
});
