import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findFreePort } from '../../stack/free-port.js';
import { EXIT_FAILED, EXIT_PASSED, EXIT_UNUSABLE, runCli } from '../src/cli.js';
import { startStub, writeCaseFiles, type StubServer } from './support/stub-server.js';

/** `strangler-contracts run ...` end to end, on stub sides; output captured. */
describe('strangler-contracts CLI', () => {
  let old: StubServer;
  let fresh: StubServer;
  let dir: string;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    old = await startStub((request) =>
      request.url.startsWith('/cards/1')
        ? { json: { id: '1', title: 'T', likeCount: 2 } }
        : { json: { items: [], total: 0 } },
    );
    fresh = await startStub((request) =>
      request.url.startsWith('/cards/1')
        ? { json: { id: '1', title: 'T', likesCount: 2 } }
        : { json: { items: [], total: 0 } },
    );
    ({ dir, remove } = await writeCaseFiles({
      'list.yaml':
        'endpoint: GET /cards\ncases:\n  - name: first page\n    request: { method: GET, path: /cards }\n    expect: { status: 200 }\n',
      'get.yaml':
        "endpoint: GET /cards/:id\ncases:\n  - name: found\n    request: { method: GET, path: '/cards/${id}' }\n    expect: { status: 200 }\n",
      'ids.vars.yaml': 'id: 1\n',
    }));
  });

  afterAll(async () => {
    await old.close();
    await fresh.close();
    await remove();
  });

  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      out: (text) => (out += text),
      err: (text) => (err += text),
      env: {},
      isTty: false,
    });
    return { code, out, err };
  };

  it('exits 0 when every selected case passes', async () => {
    const { code, out } = await cli(
      'run',
      '--old',
      old.url,
      '--new',
      fresh.url,
      '--cases',
      dir,
      '--only',
      'list',
    );
    expect(code).toBe(EXIT_PASSED);
    expect(out).toContain('✓ list › first page');
    expect(out).toMatch(/list GET \/cards\s+1\s+1\s+0\s+0\s+0/);
  });

  it('exits 1 on a mismatch, prints the field-level diff and writes JUnit XML', async () => {
    const junit = path.join(dir, 'out', 'report.xml');
    const { code, out } = await cli(
      'run',
      '--old',
      old.url,
      '--new',
      fresh.url,
      '--cases',
      dir,
      '--vars',
      path.join(dir, 'ids.vars.yaml'),
      '--junit',
      junit,
    );
    expect(code).toBe(EXIT_FAILED);
    expect(out).toContain('✗ get › found');
    expect(out).toContain(`FAILED get › found  (${path.join(dir, 'get.yaml')}:3)`);
    expect(out).toContain('request: GET /cards/1 → old 200, new 200');
    expect(out).toContain('- $.likeCount: 2 → (absent)  [missing]');
    expect(out).toContain('- $.likesCount: (absent) → 2  [extra]');
    expect(out).toContain('Fields that differ, per endpoint:');
    expect(out).toContain('1 passed, 1 failed, 0 errors, 0 skipped of 2 cases');
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain(
      '<testsuites name="strangler-contracts" tests="2" failures="1" errors="0"',
    );
    expect(xml).toContain('$.likesCount');
  });

  it('--var wins over --vars', async () => {
    const { code, out } = await cli(
      'run',
      '--old',
      old.url,
      '--new',
      fresh.url,
      '--cases',
      dir,
      '--vars',
      path.join(dir, 'ids.vars.yaml'),
      '--var',
      'id=2',
      '--only',
      'get',
    );
    expect(code).toBe(EXIT_PASSED);
    expect(out).toContain('✓ get › found');
  });

  it('exits 2 naming file and line for an unknown variable, and for an unreachable side', async () => {
    const missing = await cli('run', '--old', old.url, '--new', fresh.url, '--cases', dir);
    expect(missing.code).toBe(EXIT_UNUSABLE);
    expect(missing.err).toMatch(/get\.yaml:4:\d+: unknown variable \$\{id\} .*\(case "found"\)/);
    const port = await findFreePort();
    const down = await cli(
      'run',
      '--old',
      old.url,
      '--new',
      `http://127.0.0.1:${port}`,
      '--cases',
      dir,
      '--var',
      'id=1',
    );
    expect(down.code).toBe(EXIT_UNUSABLE);
    expect(down.err).toContain(`the new side (http://127.0.0.1:${port}) is unreachable`);
  });

  it('exits 2 on a missing option', async () => {
    const { code, err } = await cli('run', '--old', old.url);
    expect(code).toBe(EXIT_UNUSABLE);
    expect(err).toContain("required option '--new <url>' not specified");
  });
});
