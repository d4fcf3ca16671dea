import { writeFileSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { readSettledRulesFile, type RulesFileContent } from './settled-rules-file.js';

describe('readSettledRulesFile', () => {
  let directory: string;
  let file: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'settled-rules-'));
    file = path.join(directory, 'routes.yaml');
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('waits out a file written in place in two parts and returns the whole of it', async () => {
    const handle = await open(file, 'w');
    await handle.write('first half\n');
    const waiting: RulesFileContent[] = [];
    const reading = readSettledRulesFile(file, {
      settleMs: 150,
      onWaiting: (content) => waiting.push(content),
    });
    await sleep(50); // the writer pauses, shorter than the settle interval
    await handle.write('second half\n');
    await handle.close();
    const read = await reading;
    expect(read.ok && read.content.text).toBe('first half\nsecond half\n');
    expect(waiting.map((content) => content.text)).toEqual([
      'first half\n',
      'first half\nsecond half\n',
    ]);
    expect(read.ok && read.content).toMatchObject({
      bytes: 23,
      sha256: '84b6a9d850ace6f8ac3cc21804635258aee6636539fcbd41b3cebe71fbe9ab3b',
    });
  });

  it('returns at once content that is already in service', async () => {
    await writeFile(file, 'served\n');
    const first = await readSettledRulesFile(file, { settleMs: 0 });
    if (!first.ok) throw first.error;
    const waited: RulesFileContent[] = [];
    const again = await readSettledRulesFile(file, {
      settleMs: 10_000,
      served: first.content.sha256,
      onWaiting: (content) => waited.push(content),
    });
    expect(again.ok).toBe(true);
    expect(waited).toEqual([]);
  });

  it('gives up on a file that keeps changing, saying so', async () => {
    await writeFile(file, 'v0');
    let writes = 0;
    const read = await readSettledRulesFile(file, {
      settleMs: 20,
      maxReads: 3,
      onWaiting: () => writeFileSync(file, `v${(writes += 1)}`), // a writer never done
    });
    expect(read.ok).toBe(false);
    expect(!read.ok && read.error.message).toMatch(/still changing after 3 reads 20 ms apart/);
  });

  it('reports a missing file as an error', async () => {
    const read = await readSettledRulesFile(file, { settleMs: 10 });
    expect(!read.ok && (read.error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
