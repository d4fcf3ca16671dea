/**
 * The `strangler` program run in-process (commander with captured output and exit code) on a
 * temp copy of the example routes.yaml; one suite with a real facade and stub upstreams on
 * loopback, one with a canned admin plane for the shadow and status views.
 */
import { execFile, spawn as spawnProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';

import {
  compileComparison,
  DiffSummary,
  MismatchStore,
  type RouteKey,
} from '../../strangler-compare/index.js';
import { signAuthToken } from '../../legacy-monolith/src/auth/auth-token.js';
import {
  adminTokenFileFor,
  ensureAdminTokenFile,
} from '../../strangler-facade/src/admin/admin-token-file.js';
import { startFacade, type RunningFacade } from '../../strangler-facade/src/facade.js';
import { stickyBucket } from '../../strangler-facade/src/routing/sticky-bucket.js';
import type { CliIo } from '../cli-io.js';
import { runStrangler } from '../strangler.js';

const EXAMPLE_FILE = path.join(import.meta.dirname, '../../routes.yaml');
const FLIP_LINE = '    upstream: legacy # ← flip to cards-service\n';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function strangler(
  args: string[],
  env: CliIo['env'] = {},
  cwd = process.cwd(),
  input?: CliIo['input'],
): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runStrangler(args, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env,
    cwd,
    color: false,
    ...(input && { input }),
  });
  return { code, out, err };
}

/** Every line of `original` is in `edited`, in the same order (comments and blank lines kept). */
function expectAllLinesKept(original: string, edited: string): void {
  const lines = edited.split('\n');
  let at = 0;
  for (const line of original.split('\n')) {
    const found = lines.indexOf(line, at);
    if (found < 0) throw new Error(`line lost: ${JSON.stringify(line)}`);
    at = found + 1;
  }
}

describe('strangler routes (offline, on a file)', () => {
  let directory: string;
  let file: string;
  let example: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'strangler-cli-'));
    file = path.join(directory, 'routes.yaml');
    example = await readFile(EXAMPLE_FILE, 'utf8');
    await writeFile(file, example);
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('validate: a good file is exit 0 and one summary line', async () => {
    const run = await strangler(['routes', 'validate', 'routes.yaml'], {}, directory);
    expect(run).toEqual({
      code: 0,
      out: expect.stringMatching(/^routes\.yaml: valid \(2 rules \+ default, 3 upstreams; .*\)\n$/),
      err: '',
    });
  });

  it('validate: a bad file is exit 1 with file:line:col messages', async () => {
    const bad = example
      .replace(FLIP_LINE, '    upstream: cards-svc\n')
      .replace('{ prefix: /cards }', '{ prefx: /cards }');
    await writeFile(path.join(directory, 'bad.yaml'), bad);
    const run = await strangler(['routes', 'validate', 'routes.yaml', 'bad.yaml'], {}, directory);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^routes\.yaml: valid/);
    const lineOf = (text: string) => bad.split('\n').findIndex((line) => line.includes(text)) + 1;
    expect(run.err.split('\n')).toEqual(
      expect.arrayContaining([
        `bad.yaml:${lineOf('cards-svc')}:5 rules[0].upstream: unknown upstream "cards-svc" (known: legacy, cards-service, search-service)`,
        expect.stringMatching(
          new RegExp(`^bad\\.yaml:${lineOf('prefx')}:\\d+ rules\\[1\\]\\.match`),
        ),
      ]),
    );
  });

  it('validate --format github: error annotations on stdout', async () => {
    await writeFile(
      path.join(directory, 'bad.yaml'),
      example.replace(FLIP_LINE, '    upstream: cards-svc\n'),
    );
    const run = await strangler(
      ['routes', 'validate', '--format', 'github', 'bad.yaml'],
      {},
      directory,
    );
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /^::error file=bad\.yaml,line=\d+,col=5::rules\[0\]\.upstream: unknown upstream "cards-svc" \(known: legacy, cards-service, search-service\)\n$/,
    );
  });

  it('validate: a missing file and YAML syntax errors are exit 1', async () => {
    await writeFile(path.join(directory, 'broken.yaml'), 'version: 1\nrules: [\n');
    const run = await strangler(
      ['routes', 'validate', 'missing.yaml', 'broken.yaml'],
      {},
      directory,
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain('missing.yaml: file not found');
    expect(run.err).toMatch(/^broken\.yaml:\d+:\d+ YAML syntax: /m);
  });

  it('usage errors are exit 2', async () => {
    expect((await strangler(['routes', 'flip', 'cards'])).code).toBe(2);
    expect((await strangler(['routes', 'weight', 'cards', 'cards-service', '150'])).code).toBe(2);
    expect((await strangler(['routes', 'frobnicate'])).code).toBe(2);
    expect((await strangler(['routes', 'weight', 'cards', 'cards-service', '-f', file])).code).toBe(
      2,
    );
    const bare = await strangler(['routes']);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('Usage: strangler routes');
    const help = await strangler(['routes', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('explain');
  });

  it('list: the rules in order with their upstreams', async () => {
    const run = await strangler(['routes', 'list', '--file', file]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/cards-get-by-id +GET +path \/cards\/:id +legacy/);
    expect(run.out).toMatch(/default +\* +\(anything else\) +legacy/);
  });

  it('explain: rule and upstream of a request, after path normalisation', async () => {
    const run = await strangler([
      'routes',
      'explain',
      '--method',
      'get',
      '--path',
      '//cards/./7',
      '-f',
      file,
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('GET //cards/./7 → legacy');
    expect(run.out).toMatch(/path +\/cards\/7/);
    expect(run.out).toMatch(/rule +cards-get-by-id \(rules\[0\]: GET path \/cards\/:id\)/);
    const post = await strangler([
      'routes',
      'explain',
      '-X',
      'POST',
      '-p',
      '/cards/7',
      '-f',
      file,
      '--json',
    ]);
    expect(JSON.parse(post.out)).toMatchObject({ rule: 'cards', upstream: 'legacy', ruleIndex: 1 });
    const refused = await strangler(['routes', 'explain', '-p', '/cards/%2F', '-f', file]);
    expect(refused.out).toContain('refused   400 before any rule');
  });

  it('explain: header, cookie and query conditions; internal headers need a trusted client', async () => {
    const conditional = example
      .replace(
        'settings:\n',
        'settings:\n  trustedClients: [127.0.0.1]\n  internalHeaders: [x-strangler-cohort]\n',
      )
      .replace(
        '  - name: cards-get-by-id\n',
        '  - name: cards-staff\n    match:\n      path: /cards/:id\n      headers: { x-strangler-cohort: { equals: staff } }\n    upstream: cards-service\n' +
          '  - name: cards-beta\n    match:\n      path: /cards/:id\n      cookies: { beta: { present: true } }\n      query: { preview: { equals: "1" } }\n    upstream: cards-service\n' +
          '  - name: cards-get-by-id\n',
      );
    await writeFile(file, conditional);
    const explainJson = async (...args: string[]) =>
      JSON.parse(
        (await strangler(['routes', 'explain', '-p', '/cards/1', '-f', file, '--json', ...args]))
          .out,
      );
    expect(
      await explainJson('-H', 'x-strangler-cohort: staff', '--client', '127.0.0.1'),
    ).toMatchObject({
      rule: 'cards-staff',
      upstream: 'cards-service',
    });
    const untrusted = await explainJson(
      '-H',
      'X-Strangler-Cohort:staff',
      '--client',
      '203.0.113.9',
    );
    expect(untrusted).toMatchObject({ rule: 'cards-get-by-id', upstream: 'legacy' });
    expect(untrusted.notes[0]).toContain('x-strangler-cohort ignored');
    expect(untrusted.skipped).toEqual([
      { rule: 'cards-staff', unmet: ['header x-strangler-cohort=staff'] },
      { rule: 'cards-beta', unmet: ['cookie beta present', 'query preview=1'] },
    ]);
    expect(await explainJson('--cookie', 'beta=1', '--query', 'preview=1')).toMatchObject({
      rule: 'cards-beta',
    });
    const text = await strangler([
      'routes',
      'explain',
      '-p',
      '/cards/1',
      '-f',
      file,
      '--cookie',
      'beta=1',
    ]);
    expect(text.out).toMatch(/skipped +cards-beta: query preview=1/);
  });

  it('explain: the sticky canary split and a forced upstream, as the facade decides them', async () => {
    await writeFile(
      file,
      example
        .replace('settings:\n', 'settings:\n  trustedClients: [127.0.0.1]\n')
        .replace(
          FLIP_LINE,
          FLIP_LINE +
            '    canary: { upstream: cards-service, percent: 50, stickyBy: { header: x-user-id } }\n',
        ),
    );
    const sides = new Set<string>();
    for (const user of ['1', '2', '3', '4', '5', '6', '7', '8']) {
      const run = await strangler([
        'routes',
        'explain',
        '-p',
        '/cards/9',
        '-H',
        `x-user-id: ${user}`,
        '-f',
        file,
        '--json',
      ]);
      const explained = JSON.parse(run.out);
      const bucket = stickyBucket('cards-get-by-id', user);
      expect(explained).toMatchObject({
        rule: 'cards-get-by-id',
        primary: 'legacy',
        canary: { bucket, key: user, keyFrom: 'request', chosen: bucket < 5000 },
        upstream: bucket < 5000 ? 'cards-service' : 'legacy',
      });
      sides.add(explained.upstream);
    }
    expect(sides.size).toBe(2);
    const text = await strangler([
      'routes',
      'explain',
      '-p',
      '/cards/9',
      '-H',
      'x-user-id: 1',
      '-f',
      file,
    ]);
    expect(text.out).toMatch(
      /canary +cards-service 50% \(by header x-user-id\): key "1" → bucket \d+ of 10000, canary below 5000 → (canary|primary)/,
    );

    const forced = await strangler([
      'routes',
      'explain',
      '-p',
      '/cards',
      '-H',
      'x-strangler-upstream: cards-service',
      '--client',
      '127.0.0.1',
      '-f',
      file,
    ]);
    expect(forced.out).toMatch(
      /upstream +cards-service http:\/\/127\.0\.0\.1:3002 \(forced by X-Strangler-Upstream\)/,
    );
    const ignored = await strangler([
      'routes',
      'explain',
      '-p',
      '/cards',
      '-H',
      'x-strangler-upstream: cards-service',
      '-f',
      file,
      '--json',
    ]);
    expect(JSON.parse(ignored.out)).toMatchObject({ upstream: 'legacy', forced: false });
    expect(JSON.parse(ignored.out).notes[0]).toContain('x-strangler-upstream ignored');
  });

  it('flip, weight, shadow start/stop edit the file in place and keep every comment', async () => {
    const flip = await strangler([
      'routes',
      'flip',
      'cards-get-by-id',
      'cards-service',
      '-f',
      file,
    ]);
    expect(flip.code).toBe(0);
    const line = example.split('\n').indexOf(FLIP_LINE.trimEnd()) + 1;
    expect(flip.out).toBe(
      `${file}: cards-get-by-id → cards-service\n${file}:${line}\n` +
        `-     upstream: legacy # ← flip to cards-service\n` +
        `+     upstream: cards-service # ← flip to cards-service\n`,
    );
    expect(await readFile(file, 'utf8')).toBe(
      example.replace(FLIP_LINE, '    upstream: cards-service # ← flip to cards-service\n'),
    );

    const weight = await strangler([
      'routes',
      'weight',
      'cards',
      'cards-service',
      '12.5%',
      '-f',
      file,
    ]);
    expect(weight.code).toBe(0);
    expect(weight.out).toContain(
      '+     canary:\n+       upstream: cards-service\n+       percent: 12.5\n',
    );
    const shadow = await strangler([
      'routes',
      'shadow',
      'start',
      'cards',
      'cards-service',
      '--percent',
      '50',
      '-f',
      file,
    ]);
    expect(shadow.code).toBe(0);
    const edited = await readFile(file, 'utf8');
    expectAllLinesKept(
      example.replace(FLIP_LINE, '    upstream: cards-service # ← flip to cards-service\n'),
      edited,
    );
    const list = await strangler(['routes', 'list', '-f', file]);
    expect(list.out).toMatch(
      /cards +\* +prefix \/cards +legacy +cards-service 12\.5% \(by bearerToken \/\^\(\.\+\)\\\.\/\) +cards-service 50%/,
    );

    expect((await strangler(['routes', 'shadow', 'stop', 'cards', '-f', file])).code).toBe(0);
    expect((await strangler(['routes', 'weight', 'cards', 'off', '-f', file])).code).toBe(0);
    expect(
      (await strangler(['routes', 'flip', 'cards-get-by-id', 'legacy', '-f', file])).code,
    ).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(example);

    const again = await strangler(['routes', 'flip', 'cards', 'legacy', '-f', file]);
    expect(again).toEqual({
      code: 0,
      out: `${file}: unchanged (cards → legacy already)\n`,
      err: '',
    });
  });

  it('weight <rule> <percent> changes an existing canary; sticky and --sticky-by set its key', async () => {
    const run = (...args: string[]) => strangler(['routes', ...args, '-f', file]);
    expect((await run('weight', 'cards-get-by-id', 'cards-service', '10')).code).toBe(0);
    const raised = await run('weight', 'cards-get-by-id', '25');
    expect(raised.code).toBe(0);
    expect(raised.out).toContain('-       percent: 10\n+       percent: 25\n');
    const none = await run('weight', 'cards', '5');
    expect(none.code).toBe(1);
    expect(none.err).toContain('rule "cards" has no canary');
    expect((await run('weight', 'cards-get-by-id', '250')).code).toBe(2);

    const sticky = await run('sticky', 'cards-get-by-id', 'header:X-User-Id');
    expect(sticky.code).toBe(0);
    expect(sticky.out).toContain('cards-get-by-id: canary sticky by header x-user-id');
    expect((await run('list')).out).toMatch(/cards-service 25% \(by header x-user-id\)/);
    expect((await run('sticky', 'cards-get-by-id', 'default')).code).toBe(0);
    expect((await run('list')).out).toMatch(/cards-service 25% \(by bearerToken /);
    expect((await run('sticky', 'cards-get-by-id', 'nonsense')).code).toBe(2);
    const badRegex = await run('sticky', 'cards-get-by-id', 'bearerToken:(');
    expect(badRegex.code).toBe(1);
    expect(badRegex.err).toMatch(
      /canary\.stickyBy\.bearerToken\.regex: invalid regular expression/,
    );

    expect(
      (await run('weight', 'cards', 'cards-service', '5', '--sticky-by', 'cookie:uid')).code,
    ).toBe(0);
    expect((await run('list')).out).toMatch(/cards-service 5% \(by cookie uid\)/);
  });

  it('weight on the default rule says the default rule has no canary, and changes nothing', async () => {
    const run = await strangler(['routes', 'weight', 'default', 'cards-service', '5', '-f', file]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('"default" is the default rule');
    expect(run.err).not.toContain('Unrecognized key');
    expect(await readFile(file, 'utf8')).toBe(example);
  });

  it('--dry-run validates and shows the diff without writing', async () => {
    const run = await strangler([
      'routes',
      'weight',
      'cards',
      'cards-service',
      '5',
      '--dry-run',
      '-f',
      file,
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`${file}: cards: 5% → cards-service (dry run: valid, not written)\n`);
    expect(run.out).toContain('+     canary:\n');
    const refused = await strangler([
      'routes',
      'weight',
      'cards',
      'cards-svc',
      '5',
      '--dry-run',
      '-f',
      file,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/rules\[1\]\.canary\.upstream: unknown upstream "cards-svc"/);
    expect(await readFile(file, 'utf8')).toBe(example);
  });

  it('editing a missing file is exit 1 with a short message', async () => {
    const run = await strangler(
      ['routes', 'flip', 'cards', 'legacy', '-f', 'nope.yaml'],
      {},
      directory,
    );
    expect(run).toEqual({ code: 1, out: '', err: 'nope.yaml: file not found\n' });
  });

  it('a refused edit is exit 1 with the loader message and writes nothing', async () => {
    const run = await strangler(
      ['routes', 'flip', 'cards', 'cards-svc'],
      { STRANGLER_ROUTES_FILE: 'routes.yaml' },
      directory,
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /^routes\.yaml:\d+:5 rules\[1\]\.upstream: unknown upstream "cards-svc"/,
    );
    const unknown = await strangler([
      'routes',
      'shadow',
      'start',
      'card',
      'cards-service',
      '-f',
      file,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no rule named "card" (rules: cards-get-by-id, cards, default)');
    expect(await readFile(file, 'utf8')).toBe(example);
  });
});

describe('strangler routes with a running facade', () => {
  let directory: string;
  let file: string;
  let facade: RunningFacade;
  const upstreams: Server[] = [];
  /** The CLI finds the admin token where `npm start` keeps it: beside the rules file. */
  const cli = (args: string[]) => strangler(args, { STRANGLER_ROUTES_FILE: file });

  async function stubUpstream(name: string): Promise<string> {
    const server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ upstream: name }));
    });
    upstreams.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'strangler-cli-facade-'));
    file = path.join(directory, 'routes.yaml');
    const example = await readFile(EXAMPLE_FILE, 'utf8');
    await writeFile(
      file,
      example
        .replace('http://127.0.0.1:3001', await stubUpstream('legacy'))
        .replace('http://127.0.0.1:3002', await stubUpstream('cards-service')),
    );
    facade = await startFacade({
      routesFile: file,
      port: 0,
      adminPort: 0,
      env: {},
      adminToken: ensureAdminTokenFile(adminTokenFileFor(file)),
      logger: pino({ level: 'silent' }),
      watch: { debounceMs: 20, pollIntervalMs: 100 },
    });
  });
  afterAll(async () => {
    await facade.close();
    await Promise.all(upstreams.map((server) => new Promise((resolve) => server.close(resolve))));
    await rm(directory, { recursive: true, force: true });
  });

  /** The CLI's environment with the running facade's admin token. */
  const tokenEnv = () => ({ STRANGLER_ADMIN_TOKEN: ensureAdminTokenFile(adminTokenFileFor(file)) });

  const answer = async (target: string) => {
    const response = await fetch(facade.url + target);
    return ((await response.json()) as { upstream: string }).upstream;
  };

  it('after routes flip, the next request lands on the other upstream', async () => {
    expect(await answer('/cards/1')).toBe('legacy');
    const flip = await cli([
      'routes',
      'flip',
      'cards-get-by-id',
      'cards-service',
      '-f',
      file,
      '--admin',
      facade.adminUrl,
    ]);
    expect(flip.err).toBe('');
    expect(flip.code).toBe(0);
    expect(flip.out).toMatch(
      /facade http:\/\/127\.0\.0\.1:\d+: serving version 2 \([0-9a-f]{16}\)\n$/,
    );
    expect(await answer('/cards/1')).toBe('cards-service');
    expect(await answer('/cards')).toBe('legacy');

    const list = await cli(['routes', 'list', '--admin', facade.adminUrl]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/cards-get-by-id +GET +path \/cards\/:id +cards-service/);

    const canary = await cli([
      'routes',
      'weight',
      'cards',
      'cards-service',
      '100',
      '-f',
      file,
      '--admin',
      facade.adminUrl,
    ]);
    expect(canary.code).toBe(0);
    expect(await answer('/cards')).toBe('cards-service');
    const listed = await cli(['routes', 'list', '--admin', facade.adminUrl]);
    expect(listed.out).toMatch(/cards +\* +prefix \/cards +legacy +cards-service 100%/);
    expect(
      (await cli(['routes', 'weight', 'cards', 'off', '-f', file, '--admin', facade.adminUrl]))
        .code,
    ).toBe(0);
    expect(await answer('/cards')).toBe('legacy');

    const back = await cli([
      'routes',
      'flip',
      'cards-get-by-id',
      'legacy',
      '-f',
      file,
      '--admin',
      facade.adminUrl,
    ]);
    expect(back.code).toBe(0);
    expect(await answer('/cards/1')).toBe('legacy');
  });

  it("a 10% canary by the example's sticky key sends about 10% of distinct users, sticky, to the candidate", async () => {
    const weight = await strangler(
      [
        'routes',
        'weight',
        'cards-get-by-id',
        'cards-service',
        '10',
        '-f',
        file,
        '--admin',
        facade.adminUrl,
      ],
      tokenEnv(),
    );
    expect(weight.err).toBe('');
    expect(weight.code).toBe(0);
    try {
      const tokens = Array.from({ length: 200 }, (_, index) =>
        signAuthToken(`user-${index}`, 'example-secret'),
      );
      const sideOf = async (token: string): Promise<string> => {
        const response = await fetch(`${facade.url}/cards/1`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await response.arrayBuffer();
        return response.headers.get('x-strangler-upstream') ?? '?';
      };
      const sides = new Map<string, string>();
      for (const token of tokens) sides.set(token, await sideOf(token));
      const onCandidate = [...sides.values()].filter((side) => side === 'cards-service').length;
      // All 200 come from 127.0.0.1: a key that fell back to the address would send 0 or 200.
      expect(onCandidate).toBeGreaterThan(0);
      expect(onCandidate).toBeLessThan(50);
      // Sticky: the same user (even with another signature) lands on the same side again.
      for (const token of tokens.slice(0, 40)) {
        const user = token.slice(0, token.lastIndexOf('.'));
        expect(await sideOf(signAuthToken(user, 'another-secret'))).toBe(sides.get(token));
      }

      // Offline (the file) and --admin (the running facade) explain each request alike, and
      // as the facade served it.
      for (const token of tokens.slice(0, 20)) {
        const args = [
          'routes',
          'explain',
          '-p',
          '/cards/1',
          '-H',
          `authorization: Bearer ${token}`,
        ];
        const offline = await strangler([...args, '-f', file, '--json']);
        const online = await strangler([...args, '--admin', facade.adminUrl, '--json'], tokenEnv());
        expect(offline.code).toBe(0);
        expect(online.code).toBe(0);
        const fromFile = JSON.parse(offline.out) as Record<string, unknown>;
        const fromFacade = JSON.parse(online.out) as Record<string, unknown>;
        expect({ ...fromFacade, circuit: null }).toEqual(fromFile);
        expect(fromFile).toMatchObject({
          upstream: sides.get(token),
          canary: { keyFrom: 'request', stickyBy: 'bearerToken /^(.+)\\./' },
        });
      }
    } finally {
      await strangler(
        ['routes', 'weight', 'cards-get-by-id', 'off', '-f', file, '--admin', facade.adminUrl],
        tokenEnv(),
      );
    }
  });

  it('walkthrough with answers piped in: n and quit ask again or stop, and apply nothing', async () => {
    const answers = new PassThrough();
    answers.end('n\nquit\n');
    const before = await readFile(file, 'utf8');
    const run = await strangler(
      [
        'walkthrough',
        '--facade',
        facade.url,
        '--admin',
        facade.adminUrl,
        '--routes',
        file,
        '--state',
        path.join(directory, 'walkthrough-state.json'),
      ],
      {},
      directory,
      answers,
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('"n"? answer Enter or y to apply, s to skip explanations, q to quit');
    expect(run.out).toContain('Stopped before baseline');
    expect(run.out).not.toContain('verifying');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('without the admin token, a read is exit 1 saying where the token comes from', async () => {
    const run = await strangler(['routes', 'list', '--admin', facade.adminUrl], {
      STRANGLER_ADMIN_TOKEN: 'not-the-token-0123456789',
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain(': 401 ');
    expect(run.err).toContain('STRANGLER_ADMIN_TOKEN or .strangler/admin-token');
  });

  it('an unreachable admin plane is exit 1 with a hint', async () => {
    const run = await cli(['routes', 'status', '--admin', 'http://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.err).toContain('cannot reach the facade admin plane at http://127.0.0.1:1');
  });
});

describe('an upstream URL the environment overrides', () => {
  it('the facade warns in its log, and /status and routes status show the ignored file URL', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'strangler-cli-override-'));
    const file = path.join(directory, 'routes.yaml');
    await writeFile(file, await readFile(EXAMPLE_FILE, 'utf8'));
    const logged: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logged.push(chunk.toString());
        callback();
      },
    });
    const facade = await startFacade({
      routesFile: file,
      port: 0,
      adminPort: 0,
      env: {
        STRANGLER_UPSTREAM_CARDS_SERVICE_URL: 'http://127.0.0.1:4002',
        // Equal to the file: nothing is hidden, no warning.
        STRANGLER_UPSTREAM_LEGACY_URL: 'http://127.0.0.1:3001',
      },
      logger: pino({ level: 'warn' }, logStream),
      watch: { debounceMs: 20, pollIntervalMs: 100 },
      adminToken: ensureAdminTokenFile(adminTokenFileFor(file)),
    });
    try {
      const messages = logged.map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toContainEqual(
        expect.stringMatching(
          /^upstream "cards-service": STRANGLER_UPSTREAM_CARDS_SERVICE_URL=http:\/\/127\.0\.0\.1:4002 overrides \S*routes\.yaml's url http:\/\/127\.0\.0\.1:3002/,
        ),
      );
      expect(messages.filter((message) => message.includes('"legacy"'))).toEqual([]);

      const run = await strangler(['routes', 'status', '--admin', facade.adminUrl], {
        STRANGLER_ADMIN_TOKEN: ensureAdminTokenFile(adminTokenFileFor(file)),
      });
      expect(run.code).toBe(0);
      expect(run.out).toMatch(
        /cards-service +http:\/\/127\.0\.0\.1:4002 +STRANGLER_UPSTREAM_CARDS_SERVICE_URL \(overrides the file's http:\/\/127\.0\.0\.1:3002\)/,
      );
      expect(run.out).toMatch(
        /legacy +http:\/\/127\.0\.0\.1:3001 +STRANGLER_UPSTREAM_LEGACY_URL +closed/,
      );
    } finally {
      await facade.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('strangler routes diffs and status (canned admin answers)', () => {
  let server: Server;
  let answers: Record<string, unknown>;
  let admin: string;
  const requests: string[] = [];
  const route: RouteKey = { rule: 'cards-get-by-id', method: 'GET', pathPattern: '/cards/:id' };

  beforeAll(async () => {
    const comparison = compileComparison({ ignore: ['$.updatedAt'] });
    const summary = new DiffSummary();
    const store = new MismatchStore();
    const primary = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"id":1,"title":"old","updatedAt":1}',
    };
    const candidate = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"id":1,"title":"new","updatedAt":2}',
    };
    for (let index = 0; index < 3; index += 1) {
      const result = comparison.compare(primary, index === 0 ? candidate : primary);
      summary.record(route, result);
      store.record({
        route,
        request: { method: 'GET', url: '/cards/1' },
        primary,
        candidate,
        result,
        at: 0,
      });
    }
    answers = {
      '/rules': {
        rules: [{ name: 'cards-get-by-id' }, { name: 'cards' }],
        default: { name: 'default', upstream: 'legacy' },
      },
      '/shadow/summary': summary.toJSON(),
      '/shadow/mismatches': store.mismatches(route),
      '/status': {
        file: '/srv/routes.yaml',
        version: 4,
        hash: '0123456789abcdef',
        loadedAt: '2026-01-01T00:00:00.000Z',
        lastReloadError: {
          errors: ['routes.yaml:3:1 version: Invalid input'],
          hash: 'fedcba9876543210',
          at: '2026-01-01T00:01:00.000Z',
        },
        upstreams: [{ name: 'legacy', url: 'http://127.0.0.1:3001', source: 'file' }],
        circuits: { legacy: 'open' },
        shadow: { pending: 1, completed: 30, dropped: 2 },
        adminMutations: false,
      },
      '/explain': {
        method: 'GET',
        target: '/cards/1',
        refused: null,
        path: '/cards/1',
        client: { address: '', trusted: false },
        rule: 'cards-get-by-id',
        ruleIndex: 0,
        match: 'GET path /cards/:id',
        upstream: 'cards-service',
        upstreamUrl: 'http://127.0.0.1:3002',
        primary: 'legacy',
        forced: false,
        canary: {
          upstream: 'cards-service',
          percent: 10,
          stickyBy: 'header x-user-id',
          key: '42',
          keyFrom: 'request',
          bucket: 523,
          threshold: 1000,
          chosen: true,
        },
        shadow: null,
        fallback: { upstream: 'legacy', on: ['connect-error', 'timeout', '5xx'], retryBudget: 0.2 },
        circuit: 'closed',
        skipped: [],
        notes: [],
      },
      '/rollouts': {
        rollouts: [
          {
            rule: 'cards-get-by-id',
            canaryUpstream: 'cards-service',
            percent: 5,
            steps: [1, 5, 25],
            state: 'running',
            since: '2026-01-01T00:02:00.000Z',
            requests: 120,
            errors: 1,
            errorRate: 1 / 120,
            p99LatencyMs: 350,
            shadowCompared: 100,
            shadowMismatched: 2,
            lastDecision: {
              at: '2026-01-01T00:02:00.000Z',
              decision: 'advance',
              from: 1,
              to: 5,
              reason: '200 requests, error rate 0.4%',
            },
            history: [],
          },
        ],
      },
    };
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = answers[(req.url ?? '').split('?')[0] ?? ''];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: 'not_found' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    admin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('diffs: the per-route summary table', async () => {
    const run = await strangler(['routes', 'diffs'], { STRANGLER_ADMIN_URL: admin });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/cards-get-by-id GET \/cards\/:id +3 +1 +0/);
    expect(run.out).toContain('$.title');
    expect(run.out).toContain('(learned: comparisons that also asked the primary a second time');
  });

  it('diffs and record-cases --rule with a rule the facade does not have: exit 1 naming its rules', async () => {
    const run = await strangler(['routes', 'diffs', '--rule', 'nosuch', '--admin', admin]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('no rule named "nosuch" (rules: cards-get-by-id, cards, default)');
    expect(run.out).toBe('');
    const record = await strangler([
      'routes',
      'record-cases',
      '--rule',
      'nosuch',
      '--out',
      tmpdir(),
      '--admin',
      admin,
    ]);
    expect(record.code).toBe(1);
    expect(record.err).toContain('no rule named "nosuch" (rules: cards-get-by-id, cards, default)');
  });

  it('diffs --rule: the summary and the last mismatches as field diffs', async () => {
    const run = await strangler([
      'routes',
      'diffs',
      '--rule',
      'cards-get-by-id',
      '--limit',
      '5',
      '--admin',
      admin,
    ]);
    expect(run.code).toBe(0);
    expect(requests).toContain('/shadow/mismatches?rule=cards-get-by-id&limit=5');
    expect(run.out).toContain('GET /cards/1  200 vs 200');
    expect(run.out).toContain('- $.title: "old" → "new"');
  });

  it('explain --admin: the facade computes the sticky bucket', async () => {
    const run = await strangler([
      'routes',
      'explain',
      '-p',
      '/cards/1',
      '-H',
      'x-user-id: 42',
      '--admin',
      admin,
    ]);
    expect(run.code).toBe(0);
    expect(requests).toContain('/explain?method=GET&path=%2Fcards%2F1&header=x-user-id%3A+42');
    expect(run.out).toMatch(
      /^GET \/cards\/1 → cards-service \(asked http:\/\/127\.0\.0\.1:\d+\)\n/,
    );
    expect(run.out).toMatch(
      /canary +cards-service 10% \(by header x-user-id\): key "42" → bucket 523 of 10000, canary below 1000 → canary/,
    );
    expect(run.out).toMatch(/fallback +legacy on connect-error,timeout,5xx/);
    expect(run.out).toMatch(/circuit +closed/);
  });

  it('status: version, refused reload, upstreams and rollouts', async () => {
    const run = await strangler(['routes', 'status', '--admin', admin]);
    // A refused change is pending: the facade serves an older version than the file.
    expect(run.code).toBe(1);
    expect(run.out).toContain('rules    /srv/routes.yaml version 4 (0123456789abcdef)');
    expect(run.out).toContain('routes.yaml:3:1 version: Invalid input');
    expect(run.out).toContain('shadow   30 compared, 1 pending, 2 dropped');
    expect(run.out).toContain('admin    edits disabled (STRANGLER_ADMIN_TOKEN unset)');
    expect(run.out).toMatch(/legacy +http:\/\/127\.0\.0\.1:3001 +file +open/);
    expect(run.out).toMatch(
      /cards-get-by-id +cards-service +5% +1,5,25 +running +\S+ +120 +1 \(0\.8%\) +350 ms +2\/100 +advance 1→5%: 200 requests/,
    );
  });

  it('status: exit 0 once nothing is refused', async () => {
    const status = answers['/status'] as Record<string, unknown>;
    answers['/status'] = { ...status, lastReloadError: null };
    try {
      const run = await strangler(['routes', 'status', '--admin', admin, '--json']);
      expect(run.code).toBe(0);
      expect((await strangler(['routes', 'status', '--admin', admin])).code).toBe(0);
    } finally {
      answers['/status'] = status;
    }
  });
});

describe('strangler sync and contracts', () => {
  it('mounts the sub-CLIs', async () => {
    const sync = await strangler(['sync', '--help']);
    expect(sync.code).toBe(0);
    expect(sync.out).toContain('backfill');
    const contracts = await strangler(['contracts', 'run', '--help']);
    expect(contracts.code).toBe(0);
    expect(contracts.out).toContain('--old <url>');
    expect((await strangler(['contracts', 'run'])).code).toBe(2);
  });

  it("sync uses the example's databases when no *_DATABASE_URL is exported, as the walkthrough does", async () => {
    const exported = ['LEGACY_DATABASE_URL', 'CARDS_DATABASE_URL', 'SEARCH_DATABASE_URL'].filter(
      (name) => process.env[name] !== undefined,
    );
    expect(exported).toEqual([]); // the test needs them unset, as a newcomer's shell has them
    // Port 1: nothing listens, so the status fails at connecting, to the URL it resolved.
    const run = await strangler(['sync', 'status', 'cards'], { STRANGLER_PG_PORT: '1' });
    expect(run.code).toBe(1);
    expect(run.err).not.toContain('is not set');
    expect(run.err).toContain('connect ECONNREFUSED 127.0.0.1:1');
    expect(process.env.LEGACY_DATABASE_URL).toBeUndefined();
  });
});

const COMPILED = path.join(import.meta.dirname, '../../dist/cli/strangler.js');

/** `npm test` builds first; a bare jest run without a build skips this. */
(existsSync(COMPILED) ? describe : describe.skip)(
  'the compiled entry (dist/cli/strangler.js)',
  () => {
    const spawn = (file: string, args: string[], cwd: string) =>
      new Promise<Run>((resolve) => {
        execFile(process.execPath, [file, ...args], { cwd }, (error, out, err) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, out, err });
        });
      });

    it('runs as a process (also through a symlink, as npm bin links it) with the exit codes', async () => {
      const directory = await mkdtemp(path.join(tmpdir(), 'strangler-bin-'));
      const example = await readFile(EXAMPLE_FILE, 'utf8');
      await writeFile(path.join(directory, 'routes.yaml'), example);
      await writeFile(
        path.join(directory, 'bad.yaml'),
        example.replace(FLIP_LINE, '    upstream: nowhere\n'),
      );
      const link = path.join(directory, 'strangler');
      await symlink(COMPILED, link);

      const good = await spawn(link, ['routes', 'validate', 'routes.yaml'], directory);
      expect(good).toMatchObject({ code: 0, err: '' });
      expect(good.out).toMatch(/^routes\.yaml: valid/);
      const bad = await spawn(COMPILED, ['routes', 'validate', 'bad.yaml'], directory);
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/^bad\.yaml:\d+:5 rules\[0\]\.upstream: unknown upstream "nowhere"/);
      expect((await spawn(COMPILED, ['routes', 'nope'], directory)).code).toBe(2);
      const flip = await spawn(
        COMPILED,
        ['routes', 'flip', 'cards-get-by-id', 'cards-service'],
        directory,
      );
      expect(flip.code).toBe(0);
      expect(await readFile(path.join(directory, 'routes.yaml'), 'utf8')).toBe(
        example.replace(FLIP_LINE, '    upstream: cards-service # ← flip to cards-service\n'),
      );
      await rm(directory, { recursive: true, force: true });
    });

    it('ends quietly with exit 0 when the reader of its output goes away (| head -1)', async () => {
      const child = spawnProcess(process.execPath, [COMPILED, 'walkthrough', '--list'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(err).toBe('');
      expect(code).toBe(0);
    });
  },
);
