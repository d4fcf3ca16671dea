import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  adminTokenFileFor,
  ensureAdminTokenFile,
  localAdminToken,
  readAdminTokenFile,
} from './admin-token-file.js';

describe('the local admin token file', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'admin-token-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('lives in .strangler/ beside the rules file', () => {
    expect(adminTokenFileFor(path.join(directory, 'routes.yaml'))).toBe(
      path.join(directory, '.strangler', 'admin-token'),
    );
  });

  it('is created once, random, readable by its owner only, and reused', async () => {
    const file = adminTokenFileFor(path.join(directory, 'routes.yaml'));
    expect(readAdminTokenFile(file)).toBeUndefined();
    const token = ensureAdminTokenFile(file);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(ensureAdminTokenFile(file)).toBe(token);
    expect(ensureAdminTokenFile(adminTokenFileFor(path.join(directory, 'x', 'r.yaml')))).not.toBe(
      token,
    );
  });

  it('a local client takes STRANGLER_ADMIN_TOKEN first, else the file beside its rules file', async () => {
    const file = adminTokenFileFor(path.join(directory, 'routes.yaml'));
    const token = ensureAdminTokenFile(file);
    expect(localAdminToken({}, directory)).toBe(token);
    expect(localAdminToken({ STRANGLER_ADMIN_TOKEN: 'from-env' }, directory)).toBe('from-env');
    expect(
      localAdminToken({ STRANGLER_ROUTES_FILE: path.join(directory, 'routes.yaml') }, '/'),
    ).toBe(token);
    expect(localAdminToken({}, path.join(directory, 'elsewhere'))).toBeUndefined();
    await writeFile(file, '\n');
    expect(localAdminToken({}, directory)).toBeUndefined();
  });
});
