import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ActiveRules, RulesLoadError } from './active-rules.js';

const rulesText = (upstream: string): string => `version: 1
upstreams:
  legacy: { url: http://127.0.0.1:3001 }
  cards-service: { url: http://127.0.0.1:3002 }
rules:
  - name: one-card
    match: { path: /cards/:id }
    upstream: ${upstream}
default:
  upstream: legacy
`;

describe('ActiveRules', () => {
  let directory: string;
  let file: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'active-rules-'));
    file = path.join(directory, 'routes.yaml');
    await writeFile(file, rulesText('legacy'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('loads version 1, then swaps in valid changes with the next version', async () => {
    const loaded: number[] = [];
    const rules = await ActiveRules.load(
      file,
      'routes.yaml',
      {},
      { onLoaded: (next) => loaded.push(next.version) },
    );
    const first = rules.current;
    expect(first.version).toBe(1);
    expect(first.hash).toMatch(/^[0-9a-f]{16}$/);

    expect(await rules.reload()).toBe('unchanged');
    await writeFile(file, rulesText('cards-service'));
    expect(await rules.reload()).toBe('loaded');
    expect(rules.current.version).toBe(2);
    expect(rules.current.table.rules[0]?.upstream.name).toBe('cards-service');
    expect(first.table.rules[0]?.upstream.name).toBe('legacy'); // old snapshot untouched
    expect(loaded).toEqual([2]);
  });

  it('refuses an invalid change, keeps serving, reports it once, and clears it when fixed', async () => {
    const refused: string[][] = [];
    const rules = await ActiveRules.load(
      file,
      'routes.yaml',
      {},
      { onRefused: (error) => refused.push([...error.errors]) },
    );
    const before = rules.current;
    await writeFile(file, rulesText('nowhere'));
    expect(await rules.reload()).toBe('refused');
    expect(await rules.reload()).toBe('refused');
    expect(rules.current).toBe(before);
    expect(rules.lastError?.errors[0]).toMatch(
      /^routes\.yaml:8:5 rules\[0\]\.upstream: unknown upstream "nowhere"/,
    );
    expect(refused).toHaveLength(1);

    await writeFile(file, rulesText('legacy')); // the edit undone: same content as in service
    expect(await rules.reload()).toBe('unchanged');
    expect(rules.lastError).toBeNull();
    expect(rules.current).toBe(before);
  });

  it('treats a deleted file as an error, never as no routes', async () => {
    const rules = await ActiveRules.load(file, 'routes.yaml', {});
    await rm(file);
    expect(await rules.reload()).toBe('refused');
    expect(rules.lastError).toMatchObject({
      hash: null,
      errors: ['routes.yaml: file not found (deleted or renamed?)'],
    });
    expect(rules.current.table.rules).toHaveLength(1);
  });

  it('coalesces reloads requested while one runs, so the newest content wins', async () => {
    const rules = await ActiveRules.load(file, 'routes.yaml', {});
    const first = rules.reload();
    await writeFile(file, rulesText('cards-service'));
    const second = rules.reload();
    await Promise.all([first, second]);
    expect(rules.current.table.rules[0]?.upstream.name).toBe('cards-service');
  });

  it('rejects at load time with every message', async () => {
    await writeFile(file, '');
    await expect(ActiveRules.load(file, 'routes.yaml', {})).rejects.toThrow(RulesLoadError);
  });
});
