import { findFreePort } from '../../stack/free-port.js';
import { ContractCasesError } from '../src/load-case-files.js';
import { ContractSideUnreachableError, runContracts } from '../src/run-contracts.js';
import {
  startStub,
  writeCaseFiles,
  type StubReply,
  type StubServer,
} from './support/stub-server.js';

/** The runner against stub sides on loopback: captures, order, deadlines, failures. */
describe('runContracts against stub sides', () => {
  const stubs: StubServer[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const stub = async (handle: Parameters<typeof startStub>[0]) => {
    const server = await startStub(handle);
    stubs.push(server);
    return server;
  };
  const cases = async (text: string) => {
    const written = await writeCaseFiles({ 'items.yaml': text });
    cleanups.push(written.remove);
    return written.dir;
  };

  afterEach(async () => {
    await Promise.all(stubs.splice(0).map((server) => server.close()));
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });

  /** A tiny items API whose ids start with `prefix`, so the two sides differ in ids only. */
  const itemsApi = (prefix: string, overrides: Partial<Record<string, StubReply>> = {}) => {
    const items = new Map<string, { id: string; name: string }>();
    let next = 1;
    return stub((request) => {
      const key = `${request.method} ${request.url.replace(/\/[^/]*-\d+$/, '/:id')}`;
      const override = overrides[key];
      if (override) return override;
      if (key === 'POST /items') {
        const item = {
          id: `${prefix}-${next++}`,
          ...(JSON.parse(request.body) as { name: string }),
        };
        items.set(item.id, item);
        return { status: 201, json: item };
      }
      const id = request.url.split('/').pop() ?? '';
      if (key === 'GET /items/:id') {
        const item = items.get(id);
        return item ? { json: item } : { status: 404, json: { message: 'not found' } };
      }
      if (key === 'DELETE /items/:id') return { status: items.delete(id) ? 204 : 404 };
      if (key === 'GET /items') return { json: [...items.values()].map((item) => item.name) };
      return { status: 404, json: { message: `no route ${key}` } };
    });
  };

  const writeCase = `
endpoint: POST /items
defaults:
  compare: { ignore: [$.id] }
cases:
  - name: create and read back
    request: { method: POST, path: /items, json: { name: '\${name}' } }
    capture: { itemId: $.id }
    expect: { status: 201 }
    readBack:
      request: { method: GET, path: '/items/\${itemId}' }
      expect: { status: 200 }
    teardown:
      - request: { method: DELETE, path: '/items/\${itemId}' }
`;

  it('keeps captures per side: each side reads back its own id', async () => {
    const [old, fresh] = [await itemsApi('old'), await itemsApi('new')];
    const result = await runContracts({
      oldBaseUrl: old.url,
      newBaseUrl: fresh.url,
      cases: await cases(writeCase),
      vars: { name: 'first' },
    });
    expect(result.ok).toBe(true);
    expect(old.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /items',
      'GET /items/old-1',
      'DELETE /items/old-1',
    ]);
    expect(fresh.seen.map((request) => request.url)).toEqual([
      '/items',
      '/items/new-1',
      '/items/new-1',
    ]);
    expect(JSON.parse(fresh.seen[0].body)).toEqual({ name: 'first' });
    expect(result.cases[0]?.exchanges.map((exchange) => exchange.new.request)).toEqual([
      'POST /items',
      'GET /items/new-1',
    ]);
  });

  it('fails a case whose read-back differs, names the field, and still tears down', async () => {
    const old = await itemsApi('old');
    const fresh = await itemsApi('new', {
      'GET /items/:id': { json: { id: 'new-1', name: 'first', extra: true } },
    });
    const result = await runContracts({
      oldBaseUrl: old.url,
      newBaseUrl: fresh.url,
      cases: await cases(writeCase),
      vars: { name: 'first' },
    });
    expect(result.ok).toBe(false);
    expect(result.cases[0]).toMatchObject({ outcome: 'failed', warnings: [] });
    expect(result.cases[0]?.exchanges[1]?.comparison.differences).toEqual([
      expect.objectContaining({ kind: 'extra', path: '$.extra' }),
    ]);
    expect(fresh.seen.at(-1)?.method).toBe('DELETE');
    expect(result.endpoints).toEqual([
      expect.objectContaining({ key: 'items POST /items', cases: 1, passed: 0, failed: 1 }),
    ]);
    expect(result.diffSummary.routes[0]?.fields.map((field) => field.path)).toEqual(['$.extra']);
  });

  it('fails when both sides agree on the wrong status', async () => {
    const broken = () => stub(() => ({ status: 500, json: { message: 'boom' } }));
    const result = await runContracts({
      oldBaseUrl: (await broken()).url,
      newBaseUrl: (await broken()).url,
      cases: await cases(
        'endpoint: GET /items\ncases:\n  - name: list\n    request: { method: GET, path: /items }\n    expect: { status: 200 }\n',
      ),
    });
    expect(result.cases[0]?.outcome).toBe('failed');
    expect(result.cases[0]?.exchanges[0]?.comparison.matches).toBe(true);
    expect(result.cases[0]?.exchanges[0]?.expectationFailures).toEqual([
      'old side: expected status 200, got 500',
      'new side: expected status 200, got 500',
    ]);
  });

  it('ends a case as an error when a setup request fails on one side', async () => {
    const old = await itemsApi('old');
    const fresh = await itemsApi('new', {
      'POST /items': { status: 401, json: { message: 'no' } },
    });
    const result = await runContracts({
      oldBaseUrl: old.url,
      newBaseUrl: fresh.url,
      cases: await cases(`
endpoint: GET /items/:id
cases:
  - name: read one
    setup:
      - request: { method: POST, path: /items, json: { name: a } }
        capture: { itemId: $.id }
    request: { method: GET, path: '/items/\${itemId}' }
    teardown:
      - request: { method: DELETE, path: '/items/\${itemId}' }
`),
    });
    expect(result.cases[0]).toMatchObject({
      outcome: 'error',
      error:
        'setup[0] POST /items: new side: expected a 2xx status, got 401 (body: {"message":"no"})',
    });
    // Teardown still cleaned the old side; the new side had nothing to delete.
    expect(old.seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/items/old-1' });
    expect(result.cases[0]?.warnings).toEqual([
      'teardown[0]: new side: unknown variable ${itemId}',
    ]);
  });

  it('times out a slow side and names it', async () => {
    const old = await stub(() => ({ json: [] }));
    const slow = await stub(() => ({ json: [], delayMs: 1_000 }));
    const result = await runContracts({
      oldBaseUrl: old.url,
      newBaseUrl: slow.url,
      timeoutMs: 100,
      cases: await cases(
        'endpoint: GET /items\ncases:\n  - name: list\n    request: { method: GET, path: /items }\n',
      ),
    });
    expect(result.cases[0]?.outcome).toBe('error');
    expect(result.cases[0]?.error).toBe(
      `request: new side: GET ${slow.url}/items: timed out after 100 ms`,
    );
  });

  it('refuses to start when a side does not accept connections', async () => {
    const old = await stub(() => ({ json: [] }));
    const closedPort = await findFreePort();
    const run = runContracts({
      oldBaseUrl: old.url,
      newBaseUrl: `http://127.0.0.1:${closedPort}`,
      cases: await cases(
        'endpoint: GET /items\ncases:\n  - name: list\n    request: { method: GET, path: /items }\n',
      ),
    });
    await expect(run).rejects.toThrow(ContractSideUnreachableError);
    await expect(run).rejects.toThrow(
      `the new side (http://127.0.0.1:${closedPort}) is unreachable: cannot connect to 127.0.0.1:${closedPort}: connection refused (is the service running on this port?) [ECONNREFUSED]`,
    );
    expect(old.seen).toEqual([]);
  });

  it('checks every variable before sending anything', async () => {
    const old = await stub(() => ({ json: [] }));
    const run = runContracts({
      oldBaseUrl: old.url,
      newBaseUrl: old.url,
      cases: await cases(
        "endpoint: GET /items\ncases:\n  - name: list\n    request:\n      method: GET\n      path: /items\n      headers: { authorization: 'Bearer ${token}' }\n",
      ),
    });
    await expect(run).rejects.toThrow(ContractCasesError);
    await expect(run).rejects.toThrow(
      /items\.yaml:7:\d+: unknown variable \$\{token\} .*\(case "list"\)/,
    );
    expect(old.seen).toEqual([]);
  });

  it('skips a skipped case without asking for its variables', async () => {
    const server = await stub(() => ({ json: {} }));
    const result = await runContracts({
      oldBaseUrl: server.url,
      newBaseUrl: server.url,
      cases: await cases(
        "endpoint: GET /r\ncases:\n  - name: later\n    skip: not built yet\n    request: { method: GET, path: '/r/${id}' }\n  - name: now\n    request: { method: GET, path: /r }\n",
      ),
    });
    expect(result.ok).toBe(true);
    expect(result.cases.map((entry) => [entry.name, entry.outcome, entry.error])).toEqual([
      ['later', 'skipped', 'not built yet'],
      ['now', 'passed', undefined],
    ]);
    expect(server.seen.map((request) => request.url)).toEqual(['/r', '/r']);
  });

  it('runs reads before writes, serial cases last and alone, within the concurrency bound', async () => {
    const server = await stub((request) => ({
      status: request.method === 'POST' ? 201 : 200,
      json: { ok: true },
      delayMs: 20,
    }));
    const reads = Array.from(
      { length: 6 },
      (_v, i) => `  - name: read ${i}\n    request: { method: GET, path: /r${i} }\n`,
    ).join('');
    const result = await runContracts({
      oldBaseUrl: server.url,
      newBaseUrl: server.url,
      concurrency: 2,
      cases: await cases(
        'endpoint: GET /r\ncases:\n' +
          '  - name: serial\n    serial: true\n    request: { method: GET, path: /serial }\n' +
          '  - name: write\n    request: { method: POST, path: /w, json: {} }\n' +
          reads,
      ),
    });
    expect(result.ok).toBe(true);
    const order = server.seen.map((request) => request.url);
    expect(order.slice(0, 12).every((url) => url.startsWith('/r'))).toBe(true);
    expect(order.slice(12)).toEqual(['/w', '/w', '/serial', '/serial']);
    // Two cases in flight, each sending to both sides at once.
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
    // Results keep the file's order.
    expect(result.cases.map((entry) => entry.name).slice(0, 3)).toEqual([
      'serial',
      'write',
      'read 0',
    ]);
  });

  it('selects cases with --only (substring or /regex/)', async () => {
    const server = await stub(() => ({ json: {} }));
    const dir = await cases(
      'endpoint: GET /r\ncases:\n  - name: alpha\n    request: { method: GET, path: /a }\n  - name: beta\n    request: { method: GET, path: /b }\n',
    );
    const run = (only: string) =>
      runContracts({ oldBaseUrl: server.url, newBaseUrl: server.url, cases: dir, only });
    expect((await run('ALPHA')).cases.map((entry) => entry.name)).toEqual(['alpha']);
    expect((await run('/^items › b/')).cases.map((entry) => entry.name)).toEqual(['beta']);
    await expect(run('gamma')).rejects.toThrow('no case matches --only gamma');
  });
});
