/**
 * The issue's "done when", as a test: the compiled stack (`npm start`'s entry point) serves
 * GET /cards/:id through the facade from legacy; after one line of the rules file changes it
 * serves it from cards-service with the same body; Ctrl-C leaves nothing running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../free-port.js';

const entry = path.resolve('dist/stack/start.js');

describe('npm start', () => {
  let stack: ChildProcess;
  let output = '';
  let facadeUrl: string;
  let adminUrl: string;
  let legacyUrl: string;
  let cardsServiceUrl: string;
  let searchServiceUrl: string;
  let pgPort: number;
  let routesFile: string;

  beforeAll(async () => {
    await fs.access(entry).catch(() => {
      throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
    });
    const [facadePort, adminPort, legacyPort, cardsPort, eventsPort, metricsPort] =
      await Promise.all(Array.from({ length: 6 }, () => findFreePort()));
    const [searchPort, reverseMetricsPort, searchMetricsPort] = await Promise.all(
      Array.from({ length: 3 }, () => findFreePort()),
    );
    pgPort = await findFreePort();
    facadeUrl = `http://127.0.0.1:${facadePort}`;
    adminUrl = `http://127.0.0.1:${adminPort}`;
    legacyUrl = `http://127.0.0.1:${legacyPort}`;
    cardsServiceUrl = `http://127.0.0.1:${cardsPort}`;
    searchServiceUrl = `http://127.0.0.1:${searchPort}`;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-stack-'));
    routesFile = path.join(dir, 'routes.yaml');
    await fs.copyFile('routes.yaml', routesFile);
    const inherited = { ...process.env };
    delete inherited.STRANGLER_ADMIN_TOKEN; // the stack makes its own token file
    stack = spawn(process.execPath, [entry], {
      env: {
        ...inherited,
        NO_COLOR: '1',
        STRANGLER_PG_PORT: String(pgPort),
        STRANGLER_PORT: String(facadePort),
        STRANGLER_ADMIN_PORT: String(adminPort),
        LEGACY_PORT: String(legacyPort),
        CARDS_SERVICE_PORT: String(cardsPort),
        CARDS_EVENTS_PORT: String(eventsPort),
        SYNC_METRICS_PORT: String(metricsPort),
        SEARCH_SERVICE_PORT: String(searchPort),
        CARDS_REVERSE_SYNC_METRICS_PORT: String(reverseMetricsPort),
        SEARCH_SYNC_METRICS_PORT: String(searchMetricsPort),
        STRANGLER_ROUTES_FILE: routesFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stack.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => output.includes('strangler example is up'),
      120_000,
      () => output,
    );
  }, 150_000);

  afterAll(async () => {
    if (stack.exitCode === null) stack.kill('SIGKILL');
  });

  it('moves GET /cards/:id from legacy to cards-service by one line of routes.yaml', async () => {
    const cardId = /\/cards\/([0-9a-f-]{36})/.exec(output)?.[1];
    expect(cardId).toBeDefined();
    const before = await fetch(`${facadeUrl}/cards/${cardId}`);
    expect(before.status).toBe(200);
    expect(before.headers.get('x-strangler-upstream')).toBe('legacy');
    const legacyBody = await before.text();

    const rules = await fs.readFile(routesFile, 'utf8');
    const flipped = flipCardsReadOne(rules);
    expect(flipped).not.toBe(rules);
    await fs.writeFile(routesFile, flipped);

    let after: Response | undefined;
    await waitFor(
      async () => {
        after = await fetch(`${facadeUrl}/cards/${cardId}`);
        return after.headers.get('x-strangler-upstream') === 'cards-service';
      },
      5_000,
      () => output,
    );
    expect(after?.status).toBe(200);
    expect(await after?.text()).toBe(legacyBody);
  });

  it('syncs a card written in the monolith into cards-service by change data capture', async () => {
    const token = /Bearer ([0-9a-f-]{36}\.[0-9a-f]{64})/.exec(output)?.[1];
    expect(token).toBeDefined();
    const created = await fetch(`${legacyUrl}/cards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        title: 'Written in legacy',
        body: 'Synced by CDC, then found by its odd word quillwort',
        tags: ['sync'],
      }),
    });
    expect(created.status).toBe(201);
    const card = (await created.json()) as { id: string };
    let fromService: Response | undefined;
    await waitFor(
      async () => {
        fromService = await fetch(`${cardsServiceUrl}/cards/${card.id}`);
        return fromService.status === 200;
      },
      10_000,
      () => output,
    );
    expect(await fromService?.json()).toEqual(card);

    // Two pipelines further: cards → search-service's read model.
    const word = 'quillwort';
    await waitFor(
      async () => {
        const found = await fetch(`${searchServiceUrl}/search?q=${word}&pageSize=100`);
        const page = (await found.json()) as { items?: { card: { id: string } }[] };
        return (page.items ?? []).some((hit) => hit.card.id === card.id);
      },
      15_000,
      () => output,
    );
  });

  it.each(['cards', 'cards-reverse', 'search'])(
    'verify reports the %s pipeline of the running example identical on both sides',
    (pipeline) => {
      const databaseUrl = (name: string) =>
        `postgres://postgres:postgres@127.0.0.1:${pgPort}/${name}`;
      const verify = spawnSync(
        process.execPath,
        [
          path.resolve('dist/strangler-sync/src/cli.js'),
          'verify',
          `migrations/pipelines/${pipeline}.pipeline.yaml`,
        ],
        {
          env: {
            ...process.env,
            LEGACY_DATABASE_URL: databaseUrl('legacy'),
            CARDS_DATABASE_URL: databaseUrl('cards'),
            SEARCH_DATABASE_URL: databaseUrl('search'),
          },
          encoding: 'utf8',
        },
      );
      expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: '' });
    },
  );

  it('locks the admin plane with a random token kept beside the rules file (mode 0600)', async () => {
    expect((await fetch(`${adminUrl}/status`)).status).toBe(401);
    const file = path.join(path.dirname(routesFile), '.strangler', 'admin-token');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const token = (await fs.readFile(file, 'utf8')).trim();
    const status = await fetch(`${adminUrl}/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(status.status).toBe(200);
  });

  it('stops everything, PostgreSQL included, on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) =>
      stack.on('exit', (code) => resolve(code)),
    );
    stack.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await isListening(pgPort)).toBe(false);
  }, 30_000);
});

/** The one line a newcomer edits: the upstream of the rule serving GET /cards/:id. */
function flipCardsReadOne(rules: string): string {
  const lines = rules.split('\n');
  const ruleLine = lines.findIndex((line) => /name:\s*cards-get-by-id\b/.test(line));
  const upstreamLine = lines.findIndex(
    (line, index) => index > ruleLine && /^\s*upstream:\s*legacy\b/.test(line),
  );
  if (ruleLine < 0 || upstreamLine < 0) return rules;
  lines[upstreamLine] = lines[upstreamLine].replace(
    /upstream:\s*legacy/,
    'upstream: cards-service',
  );
  return lines.join('\n');
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms; output so far:\n${describe().slice(-4000)}`);
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
