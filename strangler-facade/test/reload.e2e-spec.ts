import { createHash } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { parseRulesText } from '../src/rules/read-rules-file.js';
import { startFacadeFixture, type FacadeFixture } from './support/facade-fixture.js';
import { eventually, send, sendAdmin } from './support/http-client.js';

interface Status {
  version: number;
  hash: string;
  served: { sha256: string; bytes: number; mtime: string };
  pending: { sha256: string; bytes: number; since: string } | null;
  lastReloadError: { errors: string[]; hash: string | null; at: string } | null;
}

describe('hot reload of routes.yaml', () => {
  let fixture: FacadeFixture;
  const upstreamOf = async (path = '/cards/7'): Promise<string> =>
    String((await send(fixture.facade.port, path)).headers['x-strangler-upstream']);
  const status = async (): Promise<Status> =>
    (await sendAdmin(fixture.facade.adminPort, '/status')).json<Status>();

  beforeEach(async () => {
    fixture = await startFacadeFixture();
  });
  afterEach(() => fixture.close());

  it('a flipped rule takes effect for the next requests, without a restart', async () => {
    expect(await upstreamOf()).toBe('legacy');
    await fixture.writeRoutes(fixture.routesYaml('cards-service'));
    await eventually(async () => ((await upstreamOf()) === 'cards-service' ? true : undefined));
    expect(fixture.legacy.received.at(-1)?.url).not.toBe(undefined);
    expect((await status()).version).toBe(2);
    // and back: the way back is one edit too
    await fixture.writeRoutes(fixture.routesYaml('legacy'));
    await eventually(async () => ((await upstreamOf()) === 'legacy' ? true : undefined));
    expect((await status()).version).toBe(3);
  });

  it('sees an editor-style save (write a temp file, rename it over the original)', async () => {
    const temp = path.join(fixture.directory, '.routes.yaml.swp');
    await writeFile(temp, fixture.routesYaml('cards-service'));
    await rename(temp, fixture.routesFile);
    await eventually(async () => ((await upstreamOf()) === 'cards-service' ? true : undefined));
  });

  const invalidEdits: [string, (fixture: FacadeFixture) => Promise<void>, RegExp][] = [
    ['bad YAML', (f) => f.writeRoutes('version: 1\nrules: [\n'), /YAML syntax/],
    [
      'a schema error',
      (f) => f.writeRoutes(f.routesYaml('cards-svc')),
      /routes\.yaml:\d+:\d+ rules\[0\]\.upstream: unknown upstream "cards-svc" \(known: legacy, cards-service\)/,
    ],
    ['an empty file', (f) => f.writeRoutes(''), /file is empty/],
    ['a deleted file', (f) => rm(f.routesFile), /file not found/],
    [
      'a half-written file',
      (f) =>
        f.writeRoutes(
          f.routesYaml('cards-service').slice(0, f.routesYaml().indexOf('  - name: cards\n')),
        ),
      /default: required/,
    ],
  ];

  it.each(invalidEdits)(
    'refuses %s: the last good rules keep serving and /status says why',
    async (_label, breakIt, reason) => {
      await breakIt(fixture);
      const refused = await eventually(async () => {
        const current = await status();
        return current.lastReloadError ? current : undefined;
      });
      expect(refused.version).toBe(1);
      expect(refused.lastReloadError?.errors.join('\n')).toMatch(reason);
      expect(fixture.facade.lastReloadError()?.errors.join('\n')).toMatch(reason);
      // still routing with version 1
      for (let attempt = 0; attempt < 5; attempt += 1) expect(await upstreamOf()).toBe('legacy');
      expect((await send(fixture.facade.port, '/feed')).status).toBe(200);

      // a good file again: loaded, error cleared
      await fixture.writeRoutes(fixture.routesYaml('cards-service'));
      await eventually(async () => ((await upstreamOf()) === 'cards-service' ? true : undefined));
      const recovered = await status();
      expect(recovered.version).toBe(2);
      expect(recovered.lastReloadError).toBeNull();
    },
  );

  it('a burst of concurrent requests across several reloads sees no failed request', async () => {
    let stop = false;
    const seen = new Set<string>();
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      for (let index = 0; index < 400 && !stop; index += 1) {
        try {
          const reply = await send(fixture.facade.port, '/cards/9');
          if (reply.status !== 200) failures.push(`status ${reply.status}: ${reply.text}`);
          const upstream = String(reply.headers['x-strangler-upstream']);
          // the route header and the upstream that actually answered always agree
          if (reply.headers['x-upstream'] !== upstream) failures.push(`mismatch ${upstream}`);
          seen.add(upstream);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const workers = Array.from({ length: 16 }, () => worker());
    for (const target of ['cards-service', 'legacy', 'cards-service', 'legacy', 'cards-service']) {
      await fixture.writeRoutes(fixture.routesYaml(target));
      await eventually(() =>
        fixture.facade.currentRules().table.rules[0]?.upstream.name === target ? true : undefined,
      );
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect([...seen].sort()).toEqual(['cards-service', 'legacy']);
    expect(fixture.facade.currentRules().version).toBe(6);
  });

  it('never serves a file written in place in two parts: during the pause the old rules serve', async () => {
    // `default:` first, so the first part alone is valid YAML that routes /other/x elsewhere
    const next = `version: 1
upstreams:
  legacy: { url: ${fixture.legacy.url} }
  cards-service: { url: ${fixture.cards.url} }
default:
  upstream: cards-service
rules:
  - name: cards-get-by-id
    match: { methods: [GET], path: /cards/:id }
    upstream: cards-service
  - name: everything-else
    match: { prefix: / }
    upstream: legacy
`;
    const firstPart = next.slice(0, next.indexOf('  - name: everything-else'));
    expect(parseRulesText(firstPart, 'routes.yaml', {}).ok).toBe(true); // loadable on its own
    expect(await upstreamOf('/other/x')).toBe('legacy');

    const routedDuringWrite: string[] = [];
    let sawPending = false;
    const handle = await open(fixture.routesFile, 'w'); // in place, like `> routes.yaml`
    await handle.write(firstPart);
    const pauseEnds = Date.now() + 150; // shorter than the settle interval (300 ms default)
    while (Date.now() < pauseEnds) {
      routedDuringWrite.push(await upstreamOf('/other/x'));
      sawPending ||= (await status()).pending !== null;
    }
    await handle.write(next.slice(firstPart.length));
    await handle.close();

    const served = await eventually(async () => {
      routedDuringWrite.push(await upstreamOf('/other/x'));
      const current = await status();
      sawPending ||= current.pending !== null;
      return current.version === 2 ? current : undefined;
    });
    expect(routedDuringWrite.length).toBeGreaterThan(0);
    expect(routedDuringWrite.filter((name) => name !== 'legacy')).toEqual([]);
    expect(sawPending).toBe(true);
    expect(served).toMatchObject({
      served: { sha256: createHash('sha256').update(next).digest('hex'), bytes: next.length },
      pending: null,
      lastReloadError: null,
    });
    expect(await upstreamOf('/cards/7')).toBe('cards-service');
    expect(await upstreamOf('/other/x')).toBe('legacy');
  });
});
