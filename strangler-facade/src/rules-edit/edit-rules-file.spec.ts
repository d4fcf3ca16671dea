import { mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { editRulesFile } from './edit-rules-file.js';
import { editRulesText } from './edit-rules-text.js';
import { lockPathOf, withEditLock } from './edit-lock.js';
import {
  RulesEditRefusedError,
  RulesFileChangedError,
  RulesFileLockedError,
} from './rules-edit-errors.js';
import { writeFileAtomic } from './write-file-atomic.js';

const EXAMPLE_FILE = path.join(import.meta.dirname, '../../../routes.yaml');

describe('editRulesFile', () => {
  let directory: string;
  let file: string;
  let original: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'rules-edit-'));
    file = path.join(directory, 'routes.yaml');
    original = await readFile(EXAMPLE_FILE, 'utf8');
    await writeFile(file, original);
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const filesIn = async () => (await readdir(directory)).sort();

  it('writes the edited text and leaves no temp file', async () => {
    const result = await editRulesFile(file, (rules) =>
      rules.setUpstream('cards-get-by-id', 'cards-service'),
    );
    expect(result.changed).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(result.text);
    expect(result.text).toContain('upstream: cards-service # ← flip to cards-service');
    expect(result.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(await filesIn()).toEqual(['routes.yaml']);
  });

  it('writes nothing for an edit that changes nothing', async () => {
    const result = await editRulesFile(file, (rules) => rules.setUpstream('cards', 'legacy'));
    expect(result.changed).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it('refuses an invalid result with the loader message and writes nothing', async () => {
    await expect(
      editRulesFile(file, (rules) => rules.setUpstream('cards', 'nowhere'), {
        sourceName: 'routes.yaml',
      }),
    ).rejects.toThrow(
      /^routes\.yaml:\d+:5 rules\[1\]\.upstream: unknown upstream "nowhere" \(known: legacy, cards-service, search-service\)$/,
    );
    await expect(
      editRulesFile(file, (rules) => rules.setUpstream('cards', 'nowhere')),
    ).rejects.toBeInstanceOf(RulesEditRefusedError);
    expect(await readFile(file, 'utf8')).toBe(original);
    expect(await filesIn()).toEqual(['routes.yaml']);
  });

  it('refuses when the file changed between read and write, keeping the other edit', async () => {
    const other = original.replace('upstream: legacy\n', 'upstream: cards-service\n');
    await expect(
      editRulesFile(
        file,
        (rules) => rules.setCanary('cards', { upstream: 'cards-service', percent: 5 }),
        {
          beforeRename: () => writeFile(file, other),
        },
      ),
    ).rejects.toBeInstanceOf(RulesFileChangedError);
    expect(await readFile(file, 'utf8')).toBe(other);
    expect(await filesIn()).toEqual(['routes.yaml']);
  });

  it('runs concurrent edits of one file in this process one after another', async () => {
    await Promise.all([
      editRulesFile(file, (rules) =>
        rules.setCanary('cards', { upstream: 'cards-service', percent: 5 }),
      ),
      editRulesFile(file, (rules) =>
        rules.setShadow('cards-get-by-id', { upstream: 'cards-service', percent: 100 }),
      ),
      editRulesFile(file, (rules) => rules.setUpstream('cards-get-by-id', 'cards-service')),
    ]);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('    canary:\n      upstream: cards-service\n      percent: 5\n');
    expect(text).toContain('    shadow:\n      upstream: cards-service\n      percent: 100\n');
    expect(text).toContain('upstream: cards-service # ← flip');
  });

  it('edits the target of a symlink and keeps the link', async () => {
    const link = path.join(directory, 'link.yaml');
    await symlink(file, link);
    await editRulesFile(link, (rules) => rules.setUpstream('cards', 'cards-service'));
    expect(await readFile(file, 'utf8')).not.toBe(original);
    expect((await readdir(directory)).sort()).toEqual(['link.yaml', 'routes.yaml']);
  });
});

describe('writeFileAtomic', () => {
  it('a reader polling during many writes only ever sees a whole old or new content', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'atomic-'));
    const file = path.join(directory, 'f.yaml');
    const contents = ['a'.repeat(200_000), 'b'.repeat(300_000)];
    await writeFile(file, contents[0] ?? '');
    let reading = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (reading) {
        const text = await readFile(file, 'utf8');
        seen.add(text.slice(0, 1) + String(text.length));
      }
    })();
    for (let round = 0; round < 20; round += 1) {
      await writeFileAtomic(file, contents[round % 2 === 0 ? 1 : 0] ?? '');
    }
    reading = false;
    await reader;
    for (const entry of seen) expect(['a200000', 'b300000']).toContain(entry);
    expect(await readdir(directory)).toEqual(['f.yaml']);
    await rm(directory, { recursive: true, force: true });
  });

  it('a failed write removes its temp file and leaves the old content', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'atomic-'));
    const file = path.join(directory, 'f.yaml');
    await writeFile(file, 'old');
    await expect(
      writeFileAtomic(file, 'new', {
        beforeRename: () => {
          throw new Error('disk on fire');
        },
      }),
    ).rejects.toThrow('disk on fire');
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(directory)).toEqual(['f.yaml']);
    await rm(directory, { recursive: true, force: true });
  });
});

describe('the edit lock', () => {
  it('a held lock makes a conditional write wait, then fail, writing nothing', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'lock-'));
    const file = path.join(directory, 'f.yaml');
    await writeFile(file, 'old');
    let release!: () => void;
    const held = withEditLock(file, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await readdir(directory)).toContain('.f.yaml.lock');
    await expect(
      writeFileAtomic(file, 'new', { expected: 'old', lock: { timeoutMs: 100 } }),
    ).rejects.toBeInstanceOf(RulesFileLockedError);
    expect(await readFile(file, 'utf8')).toBe('old');
    const waiting = writeFileAtomic(file, 'new', { expected: 'old', lock: { timeoutMs: 2000 } });
    setTimeout(release, 50);
    await held;
    await waiting;
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(directory)).toEqual(['f.yaml']);
    await rm(directory, { recursive: true, force: true });
  });

  it('a stale lock (a crashed editor) is taken over', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'lock-'));
    const file = path.join(directory, 'f.yaml');
    await writeFile(file, 'old');
    await writeFile(lockPathOf(file), '12345\n');
    const past = new Date(Date.now() - 60_000);
    await utimes(lockPathOf(file), past, past);
    await writeFileAtomic(file, 'new', { expected: 'old', lock: { timeoutMs: 100 } });
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(directory)).toEqual(['f.yaml']);
    await rm(directory, { recursive: true, force: true });
  });
});

describe('concurrent editors without the in-process queue', () => {
  it('every edit lands: the lock plus the check never lose one', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'editors-'));
    const file = path.join(directory, 'routes.yaml');
    const names = Array.from({ length: 8 }, (_, index) => `r${index}`);
    await writeFile(
      file,
      'version: 1\nupstreams:\n  legacy: { url: http://127.0.0.1:1 }\n  new: { url: http://127.0.0.1:2 }\n' +
        'rules:\n' +
        names
          .map(
            (name) =>
              `  - name: ${name} # ${name}\n    match: { prefix: /${name} }\n    upstream: legacy\n`,
          )
          .join('') +
        'default:\n  upstream: legacy\n',
    );
    let conflicts = 0;
    const editor = async (name: string): Promise<void> => {
      for (;;) {
        const text = await readFile(file, 'utf8');
        const result = editRulesText(text, 'routes.yaml', (rules) =>
          rules.setUpstream(name, 'new'),
        );
        try {
          await writeFileAtomic(file, result.text, { expected: text });
          return;
        } catch (error) {
          if (!(error instanceof RulesFileChangedError)) throw error;
          conflicts += 1;
        }
      }
    };
    await Promise.all(names.map(editor));
    const final = await readFile(file, 'utf8');
    for (const name of names) {
      expect(final).toContain(
        `  - name: ${name} # ${name}\n    match: { prefix: /${name} }\n    upstream: new\n`,
      );
    }
    expect(conflicts).toBeGreaterThan(0);
    await rm(directory, { recursive: true, force: true });
  });
});
