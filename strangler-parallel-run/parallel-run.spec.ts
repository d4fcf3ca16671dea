import { ParallelRun } from './parallel-run.js';

/** A promise settled from outside. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ParallelRun', () => {
  it("returns old's result", async () => {
    const run = new ParallelRun();
    const value = await run.execute('cards.getById', {
      old: () => ({ id: 1, title: 'old' }),
      new: () => Promise.resolve({ id: 1, title: 'old' }),
    });
    expect(value).toEqual({ id: 1, title: 'old' });
    await run.idle();
  });

  it("rejects with old's error, even when new succeeds", async () => {
    const run = new ParallelRun();
    const boom = new Error('legacy failed');
    await expect(
      run.execute('cards.getById', {
        old: () => Promise.reject(boom),
        new: () => ({ id: 1 }),
      }),
    ).rejects.toBe(boom);
    await run.idle();
    const [mismatch] = run.mismatches('cards.getById');
    expect(mismatch?.result.differences[0]).toMatchObject({
      path: 'error',
      detail: 'old threw, new returned',
    });
  });

  it('a slow new does not delay the caller', async () => {
    const run = new ParallelRun();
    const slow = deferred<unknown>();
    const events: string[] = [];
    void slow.promise.then(() => events.push('new settled'));
    const value = await run.execute('cards.getById', {
      old: () => Promise.resolve('old'),
      new: () => slow.promise,
    });
    events.push('caller resolved');
    expect(value).toBe('old');
    expect(run.inFlightCount).toBe(1);
    slow.resolve('old');
    await run.idle();
    expect(events).toEqual(['caller resolved', 'new settled']);
    expect(run.stats('cards.getById')).toMatchObject({ compared: 1, mismatches: 0 });
    expect(run.inFlightCount).toBe(0);
  });

  it('records a new that throws instead of throwing it', async () => {
    const run = new ParallelRun();
    const value = await run.execute('cards.getById', {
      old: () => 'old',
      new: () => {
        throw new Error('not implemented');
      },
      input: { id: 7 },
    });
    expect(value).toBe('old');
    await run.idle();
    expect(run.stats('cards.getById')).toMatchObject({ errors: 1, mismatches: 1 });
    const [mismatch] = run.mismatches('cards.getById');
    expect(mismatch?.result.differences[0]).toMatchObject({
      kind: 'value',
      path: 'error',
      candidate: JSON.stringify('Error: not implemented'),
    });
    expect(mismatch?.request.body?.data).toBe('{"id":7}');
  });

  it('records a new that times out', async () => {
    const run = new ParallelRun({ timeoutMs: 1 });
    const never = deferred<unknown>();
    await run.execute('cards.getById', { old: () => 1, new: () => never.promise });
    await run.idle();
    expect(run.stats('cards.getById')).toMatchObject({ timeouts: 1, mismatches: 1 });
    expect(run.mismatches('cards.getById')[0]?.result.differences[0]?.detail).toBe('new timed out');
    expect(run.inFlightCount).toBe(1); // still running: it holds its concurrency slot
    never.resolve(1);
  });

  it('counts equal results as matches', async () => {
    const run = new ParallelRun();
    for (let i = 0; i < 3; i++) {
      await run.execute('cards.list', {
        old: () => ({ items: [1, 2, 3] }),
        new: async () => ({ items: [1, 2, 3] }),
      });
    }
    await run.idle();
    expect(run.summary().routes[0]).toMatchObject({
      rule: 'cards.list',
      compared: 3,
      failing: 0,
    });
    expect(run.mismatches('cards.list')).toEqual([]);
  });

  it('records a changed field with its path', async () => {
    const seen: string[] = [];
    const run = new ParallelRun({
      onMismatch: (mismatch) => seen.push(mismatch.operation),
    });
    await run.execute('cards.getById', {
      old: () => ({ id: 1, title: 'Groceries', owner: { name: 'ann' } }),
      new: () => ({ id: 1, title: 'Groceries', owner: { name: 'Ann' } }),
      input: { id: 1 },
    });
    await run.idle();
    const [mismatch] = run.mismatches('cards.getById');
    expect(mismatch?.result.differences).toEqual([
      expect.objectContaining({ kind: 'value', path: '$.owner.name', primary: '"ann"' }),
    ]);
    expect(seen).toEqual(['cards.getById']);
    expect(run.report()).toContain('cards.getById');
    expect(run.report()).toContain('$.owner.name');
  });

  it('ignores the configured paths and unordered arrays', async () => {
    const run = new ParallelRun();
    await run.execute('cards.getById', {
      old: () => ({ id: 1, updatedAt: new Date(1000), tags: ['a', 'b'] }),
      new: () => ({ id: 1, updatedAt: new Date(2000), tags: ['b', 'a'] }),
      compare: { ignore: ['$.updatedAt'], unordered: ['$.tags'] },
    });
    await run.idle();
    expect(run.mismatches('cards.getById')).toEqual([]);
    expect(run.stats('cards.getById')).toMatchObject({ compared: 1, mismatches: 0 });
  });

  it('skips and counts new calls beyond the concurrency cap', async () => {
    const run = new ParallelRun({ maxConcurrent: 2 });
    const gate = deferred<unknown>();
    let started = 0;
    const call = {
      old: () => 'old',
      new: () => {
        started++;
        return gate.promise;
      },
    };
    for (let i = 0; i < 5; i++) expect(await run.execute('cards.list', call)).toBe('old');
    expect(started).toBe(2);
    expect(run.stats('cards.list')).toMatchObject({ calls: 5, started: 2, skipped: 3 });
    gate.resolve('old');
    await run.idle();
    await run.execute('cards.list', call);
    expect(started).toBe(3);
    gate.resolve('old');
    await run.idle();
    expect(run.stats('cards.list')).toMatchObject({ compared: 3, mismatches: 0 });
  });

  it('samples new calls by sampleRate', async () => {
    const draws = [0.1, 0.9];
    const run = new ParallelRun({ sampleRate: 0.5, random: () => draws.shift() ?? 0 });
    await run.execute('x', { old: () => 1, new: () => 1 });
    await run.execute('x', { old: () => 1, new: () => 1 });
    await run.idle();
    expect(run.stats('x')).toMatchObject({ started: 1, sampledOut: 1 });
  });

  it('rejects invalid options', () => {
    expect(() => new ParallelRun({ sampleRate: 2 })).toThrow(RangeError);
    expect(() => new ParallelRun({ maxConcurrent: -1 })).toThrow(RangeError);
  });
});
