/**
 * The issue's "done when", as a test: the compiled stack (`npm start`'s entry point) serves
 * GET /cards/:id through the facade from legacy; after one line of the rules file changes it
 * serves it from cards-service with the same body; Ctrl-C (SIGINT to the whole process group,
 * as a terminal sends it) stops everything quietly; the data outlives a restart and
 * `npm run reset` starts the database, routes.yaml and the walkthrough over together.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { mintAuthToken } from '../../legacy-monolith/src/auth/auth-token.js';
import { findFreePort } from '../free-port.js';

const entry = path.resolve('dist/stack/start.js');

/** The stack as a terminal runs it: its own process group, output piped (not a TTY). */
class StackRun {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv, args: string[] = []) {
    this.child = spawn(process.execPath, [entry, ...args], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  async up(): Promise<void> {
    await waitFor(
      () => this.output.includes('strangler example is up'),
      150_000,
      () => this.output,
    );
  }

  /** Ctrl-C in a terminal: SIGINT to every process of the foreground process group. */
  async interrupt(): Promise<number | null> {
    process.kill(-this.child.pid!, 'SIGINT');
    return this.exited;
  }
}

describe('npm start', () => {
  let stack: StackRun;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let stateDir: string;
  let facadeUrl: string;
  let adminUrl: string;
  let legacyUrl: string;
  let cardsServiceUrl: string;
  let searchServiceUrl: string;
  let pgPort: number;
  let routesFile: string;
  /** A card written in the first run, looked for after the restart. */
  let writtenCard: { id: string } | undefined;

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
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-stack-'));
    // The embedded server runs as another user when the tests run as root: let it reach its data.
    await fs.chmod(dir, 0o755);
    stateDir = path.join(dir, 'state');
    routesFile = path.join(dir, 'routes.yaml');
    await fs.copyFile('routes.example.yaml', routesFile);
    env = { ...process.env };
    // Not a terminal and no NO_COLOR: the output must be plain text by itself.
    delete env.NO_COLOR;
    delete env.STRANGLER_ADMIN_TOKEN; // the stack makes its own token file
    env = {
      ...env,
      STRANGLER_STATE_DIR: stateDir,
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
    };
    stack = new StackRun(env);
    await stack.up();
  }, 180_000);

  afterAll(async () => {
    // Stopped in order even after a failed test: the folder holds its (large) database.
    if (stack?.child.exitCode === null) await stack.interrupt();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('moves GET /cards/:id from legacy to cards-service by one line of routes.yaml', async () => {
    const cardId = /\/cards\/([0-9a-f-]{36})/.exec(stack.output)?.[1];
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
      () => stack.output,
    );
    expect(after?.status).toBe(200);
    expect(await after?.text()).toBe(legacyBody);
  });

  it('syncs a card written in the monolith into cards-service by change data capture', async () => {
    const token = /Bearer ([0-9a-f-]{36}\.[0-9a-f]{64})/.exec(stack.output)?.[1];
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
    writtenCard = card;
    let fromService: Response | undefined;
    await waitFor(
      async () => {
        fromService = await fetch(`${cardsServiceUrl}/cards/${card.id}`);
        return fromService.status === 200;
      },
      10_000,
      () => stack.output,
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
      () => stack.output,
    );
  });

  it("delivers cards-service's events to the monolith: a new card notifies the author's followers", async () => {
    const token = /Bearer ([0-9a-f-]{36}\.[0-9a-f]{64})/.exec(stack.output)?.[1];
    const authorId = token!.split('.')[0];
    const db = new pg.Client(`postgres://postgres:postgres@127.0.0.1:${pgPort}/legacy`);
    await db.connect();
    const { rows } = await db
      .query<{ id: string }>(
        `SELECT id FROM users WHERE id <> $1 AND banned_at IS NULL ORDER BY id LIMIT 1`,
        [authorId],
      )
      .finally(() => db.end());
    const follower = `Bearer ${mintAuthToken(rows[0].id)}`;
    const follow = await fetch(`${legacyUrl}/users/${authorId}/follow`, {
      method: 'PUT',
      headers: { authorization: follower },
    });
    expect(follow.status).toBe(204);

    const created = await fetch(`${cardsServiceUrl}/cards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'Written in cards-service', body: 'an event', tags: [] }),
    });
    expect(created.status).toBe(201);
    const card = (await created.json()) as { id: string };
    await waitFor(
      async () => {
        const response = await fetch(`${legacyUrl}/notifications`, {
          headers: { authorization: follower },
        });
        const body = (await response.json()) as { items?: { cardId: string }[] };
        return (body.items ?? []).some((item) => item.cardId === card.id);
      },
      10_000,
      () => stack.output,
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

  it('stops everything, PostgreSQL included, on Ctrl-C, quietly and in plain text', async () => {
    expect(await stack.interrupt()).toBe(0);
    expect(await isListening(pgPort)).toBe(false);
    // Ctrl-C is not a crash: no unhandled errors, no stack traces (57P01 from a PostgreSQL that
    // stopped under the sync processes was one, per pipeline).
    expect(stack.output).not.toMatch(/Unhandled 'error'|terminating connection|^\S*\s+at /m);
    // Not a terminal: no colour codes, from the stack or from the processes it runs.
    expect(stack.output).not.toContain('\u001b[');
    // One line per part before the banner, not the parts' own start-up chatter.
    const beforeBanner = stack.output.slice(0, stack.output.indexOf('strangler example is up'));
    expect(beforeBanner.trim().split('\n').length).toBeLessThanOrEqual(15);
  }, 30_000);

  it('keeps the data, routes.yaml and the walkthrough state across a restart', async () => {
    const walkthroughState = path.join(stateDir, 'walkthrough-state.json');
    const progress = JSON.stringify({ version: 1, routesFile, completed: [] });
    await fs.writeFile(walkthroughState, progress);
    const rulesBefore = await fs.readFile(routesFile, 'utf8');

    stack = new StackRun(env);
    await stack.up();
    expect(stack.output).toContain('seed: kept the existing data');
    expect(writtenCard).toBeDefined();
    const again = await fetch(`${legacyUrl}/cards/${writtenCard!.id}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(writtenCard);
    expect(await fs.readFile(routesFile, 'utf8')).toBe(rulesBefore);
    expect(await fs.readFile(walkthroughState, 'utf8')).toBe(progress);
    // The banner no longer tells to make a move routes.yaml already holds.
    expect(stack.output).toContain('GET /cards/:id already goes to cards-service');

    // The pipelines resumed from their slots: a new write still reaches cards-service.
    const token = /Bearer ([0-9a-f-]{36}\.[0-9a-f]{64})/.exec(stack.output)?.[1];
    const created = await fetch(`${legacyUrl}/cards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'After the restart', body: 'still synced', tags: [] }),
    });
    const card = (await created.json()) as { id: string };
    await waitFor(
      async () => (await fetch(`${cardsServiceUrl}/cards/${card.id}`)).status === 200,
      10_000,
      () => stack.output,
    );

    // While it runs, reset refuses and changes nothing.
    const refused = runReset(env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('stop npm start (Ctrl-C) first');
    expect(await fs.readFile(walkthroughState, 'utf8')).toBe(progress);

    expect(await stack.interrupt()).toBe(0);
  }, 240_000);

  it('npm run reset starts the database, routes.yaml and the walkthrough over together', async () => {
    const reset = runReset(env);
    expect({ status: reset.status, stderr: reset.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await fs.readFile(routesFile, 'utf8')).toBe(
      await fs.readFile('routes.example.yaml', 'utf8'),
    );
    await expect(fs.access(path.join(stateDir, 'walkthrough-state.json'))).rejects.toThrow();

    stack = new StackRun(env);
    await stack.up();
    expect(stack.output).toContain('first run, creating the database');
    expect(stack.output).toMatch(/seed: 3000 cards/);
    expect((await fetch(`${legacyUrl}/cards/${writtenCard!.id}`)).status).toBe(404);
    expect(await stack.interrupt()).toBe(0);
  }, 240_000);
});

describe('npm start with a port taken', () => {
  it('fails at once, naming the port, what wants it and the variable, leaving nothing behind', async () => {
    const blocker = net.createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const leftovers = async () =>
      (await fs.readdir(os.tmpdir())).filter((name) => name.startsWith('strangler-pg-stack-'));
    const before = await leftovers();
    try {
      const env = { ...process.env, STRANGLER_EPHEMERAL: '1', STRANGLER_PORT: String(port) };
      for (const script of [entry, path.resolve('stack/prestart.js')]) {
        const run = spawnSync(process.execPath, [script], { env, encoding: 'utf8' });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
          `port ${port}, wanted by the facade, is already in use; ` +
            'stop what uses it (an earlier npm start?) or set STRANGLER_PORT to another port',
        );
      }
      expect(await leftovers()).toEqual(before);
    } finally {
      blocker.close();
    }
  });
});

function runReset(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [path.resolve('dist/stack/reset.js')], {
    env,
    encoding: 'utf8',
  });
}

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
