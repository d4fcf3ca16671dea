import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { watchRules, type RulesWatcher } from './watch-rules.js';

/** Resolves once `count()` exceeds `above`, polling for at most 2 s. */
async function changed(count: () => number, above: number): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (count() <= above) {
    if (Date.now() > deadline) throw new Error('no change seen within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('watchRules', () => {
  let directory: string;
  let file: string;
  let watcher: RulesWatcher | null = null;
  let changes = 0;
  const count = (): number => changes;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'watch-rules-'));
    file = path.join(directory, 'routes.yaml');
    await writeFile(file, 'a');
    changes = 0;
  });
  afterEach(async () => {
    watcher?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it.each([
    ['fs.watch on the directory', true, 0],
    ['the stat poll alone', false, 50],
  ])(
    'with %s, sees in-place writes, rename-over saves and deletes',
    async (_label, fsWatch, pollIntervalMs) => {
      watcher = watchRules(file, {
        debounceMs: 10,
        pollIntervalMs,
        fsWatch,
        onChange: () => (changes += 1),
      });
      await new Promise((resolve) => setTimeout(resolve, 60)); // let the poll take its first look

      let before = count();
      await writeFile(file, 'bb');
      await changed(count, before);

      before = count();
      const temp = path.join(directory, '.routes.yaml.tmp');
      await writeFile(temp, 'ccc');
      await rename(temp, file);
      await changed(count, before);

      before = count();
      await rm(file);
      await changed(count, before);
    },
  );

  it('debounces a burst of writes into one change', async () => {
    watcher = watchRules(file, {
      debounceMs: 80,
      pollIntervalMs: 0,
      onChange: () => (changes += 1),
    });
    for (let index = 0; index < 5; index += 1) await writeFile(file, `v${index}`);
    await changed(count, 0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(changes).toBe(1);
  });

  it('ignores other files in the directory', async () => {
    watcher = watchRules(file, {
      debounceMs: 10,
      pollIntervalMs: 0,
      onChange: () => (changes += 1),
    });
    await writeFile(path.join(directory, 'other.txt'), 'x');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(changes).toBe(0);
  });
});
