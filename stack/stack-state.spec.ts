import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resetStackState, stackState, type StackState } from './stack-state.js';

describe('resetStackState', () => {
  let dir: string;
  let state: StackState;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-state-'));
    await fs.chmod(dir, 0o755);
    await fs.writeFile(path.join(dir, 'routes.example.yaml'), 'version: 1 # the example\n');
    state = stackState({
      stateDir: path.join(dir, '.strangler'),
      routesFile: path.join(dir, 'routes.yaml'),
      repoRoot: dir,
    });
    await fs.mkdir(state.postgresDir, { recursive: true });
    await fs.writeFile(path.join(state.postgresDir, 'PG_VERSION'), '18\n');
    await fs.writeFile(state.routesFile, 'version: 1 # edited\n');
    await fs.writeFile(state.walkthroughStateFile, '{"version":1}');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('keeps the database inside the state root when the server can reach it', () => {
    expect(state.postgresDir).toBe(path.join(dir, '.strangler', 'postgres'));
  });

  it('removes the database, restores routes.yaml and forgets the walkthrough, together', async () => {
    const { done } = await resetStackState(state);
    expect(done).toHaveLength(3);
    await expect(fs.access(state.postgresDir)).rejects.toThrow();
    await expect(fs.access(state.walkthroughStateFile)).rejects.toThrow();
    expect(await fs.readFile(state.routesFile, 'utf8')).toBe('version: 1 # the example\n');
    expect((await resetStackState(state)).done).toEqual([]);
  });

  it('refuses while PostgreSQL runs on the data directory, changing nothing', async () => {
    await fs.writeFile(path.join(state.postgresDir, 'postmaster.pid'), `${process.pid}\n`);
    await expect(resetStackState(state)).rejects.toThrow(/stop npm start \(Ctrl-C\) first/);
    expect(await fs.readFile(state.routesFile, 'utf8')).toBe('version: 1 # edited\n');
    await fs.access(state.walkthroughStateFile);
    await fs.access(path.join(state.postgresDir, 'PG_VERSION'));
  });
});
