import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runStrangler } from '../../cli/strangler.js';
import type { CliIo } from '../../cli/cli-io.js';
import { cardsWalkthrough } from '../src/cards-steps.js';
import { adminAuthorization } from '../src/checks.js';
import { startStack, type StartedStack } from '../src/stack-runner.js';

const STACK_SCRIPT = fileURLToPath(new URL('../../dist/stack/start.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIMEOUT_MS = 420_000;

function requireDist(): void {
  if (!existsSync(STACK_SCRIPT)) {
    throw new Error(
      `${STACK_SCRIPT} is missing: the walkthrough starts the compiled stack; run npm run build first (npm test does)`,
    );
  }
}

function capture(): { io: CliIo; text: () => string } {
  let output = '';
  const collect = (text: string): void => {
    output += text;
  };
  return {
    io: { out: collect, err: collect, env: process.env, cwd: process.cwd(), color: false },
    text: () => output,
  };
}

/**
 * The whole walkthrough, unattended, as CI runs it: `strangler walkthrough --start-stack --yes`
 * starts its own copy of the example (dist/stack/start.js: PostgreSQL, sync, legacy,
 * cards-service, facade on free ports), runs every step and verifies each with the toolkit's
 * own checks, then stops the stack.
 */
describe('strangler walkthrough --start-stack --yes', () => {
  it(
    'verifies every step, from the baseline to search as a read model',
    async () => {
      requireDist();
      const run = capture();
      const code = await runStrangler(['walkthrough', '--start-stack', '--yes'], run.io);
      const output = run.text();
      if (code !== 0) throw new Error(`exit code ${code}; the walkthrough said:\n${output}`);
      const steps = cardsWalkthrough();
      for (const step of steps.filter((s) => s.available)) {
        expect(output).toContain(`✓ ${step.id} verified`);
      }
      for (const step of steps.filter((s) => !s.available)) {
        expect(output).toContain(`Step ${steps.indexOf(step) + 1}/${steps.length} · ${step.id}`);
      }
      expect(output).not.toContain('FAILED');
      expect(output).toContain('0 failing of 40 compared');
      expect(output).toMatch(/users whose second read went to the other side: 0/);
      expect(output).toContain(
        'X-Strangler-Route: cards-reads, X-Strangler-Upstream: cards-service',
      );
      // Writes moved: the monolith still sees them (reverse sync), and its admin still moderates.
      expect(output).toMatch(/legacy-monolith serves the new card \d+ ms later \(cards-reverse\)/);
      expect(output).toContain('new card listed: true');
      expect(output).toContain('404 from cards-service (cards pipeline)');
      // No echo: each pipeline saw the other's writes come back and dropped them.
      expect(output).toMatch(/the cards pipeline skipped \d+ echo transactions/);
      expect(output).toMatch(/the cards-reverse pipeline skipped \d+ echo transactions/);
      // The drill flipped back and forth and both cards are everywhere.
      expect(output).toContain('flipped forward again');
      // Retired: one cards rule; search answered from the read model.
      expect(output).toMatch(
        /contract cases \(contracts\/search\): \d+, passed \d+, failed 0, errors 0/,
      );
      expect(output).toMatch(/read model: \d+ search documents, 0 missing, 0 stale, 0 extra/);
      expect(output).toMatch(/is found by GET \/search\?q=walkthrough\w+ from search-service/);
      expect(output).toContain(`Walkthrough done: ${steps.length} steps verified.`);
    },
    TIMEOUT_MS,
  );
});

/**
 * Against a running example (as with `npm start` in another terminal): resume from the state
 * file, `--undo` step by step with the facade serving each restored file, `--from`.
 */
describe('strangler walkthrough against a running example: resume, undo, from', () => {
  let stack: StartedStack;
  let flags: string[];

  beforeAll(async () => {
    requireDist();
    stack = await startStack(REPO_ROOT);
    const t = stack.target;
    flags = [
      '--routes',
      t.routesFile,
      '--state',
      path.join(stack.directory, 'state.json'),
      '--facade',
      t.facadeUrl,
      '--admin',
      t.adminUrl,
      '--legacy',
      t.legacyUrl,
      '--cards-service',
      t.cardsServiceUrl,
      '--legacy-db',
      t.legacyDatabaseUrl,
      '--cards-db',
      t.cardsDatabaseUrl,
      '--search-service',
      t.searchServiceUrl,
      '--search-db',
      t.searchDatabaseUrl,
    ];
  }, TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  }, TIMEOUT_MS);

  const walkthrough = async (...args: string[]): Promise<string> => {
    const run = capture();
    const code = await runStrangler(['walkthrough', ...flags, ...args], run.io);
    if (code !== 0) throw new Error(`exit code ${code}:\n${run.text()}`);
    return run.text();
  };
  const upstreamOf = async (requestPath: string): Promise<string | null> => {
    const response = await fetch(stack.target.facadeUrl + requestPath);
    await response.arrayBuffer();
    return response.headers.get('x-strangler-upstream');
  };

  const explainUpstream = async (method: string, requestPath: string): Promise<unknown> => {
    const query = new URLSearchParams({ method, path: requestPath });
    const response = await fetch(`${stack.target.adminUrl}/explain?${query.toString()}`, {
      headers: adminAuthorization(stack.target),
    });
    const body = (await response.json()) as { upstream?: unknown };
    const upstream = body.upstream;
    return upstream && typeof upstream === 'object'
      ? (upstream as { name?: unknown }).name
      : upstream;
  };

  it(
    'resumes, undoes the cutover and the canary, runs again from a step, moves and un-moves the writes',
    async () => {
      const original = await readFile(stack.target.routesFile, 'utf8');
      // The reads, as a user with npm start running would do them (--to: stop there).
      expect(await walkthrough('--yes', '--from', 'baseline', '--to', 'read-cutover')).toContain(
        'Stopped after read-cutover (--to): 6 steps verified. Run again to continue at move-writes.',
      );
      const migrated = await readFile(stack.target.routesFile, 'utf8');
      expect(migrated).toContain('- name: cards-reads');
      expect(await upstreamOf('/cards?pageSize=1')).toBe('cards-service');

      expect(await walkthrough('--undo')).toContain('Undid read-cutover');
      expect(await upstreamOf('/cards?pageSize=1')).toBe('legacy');
      const canary = await readFile(stack.target.routesFile, 'utf8');
      expect(canary).not.toContain('cards-reads');
      expect(canary).toContain('stickyBy');

      expect(await walkthrough('--undo')).toContain('Undid canary');
      expect(await walkthrough('--undo')).toContain('Undid contracts');
      expect(await walkthrough('--undo')).toContain('Undid shadow');
      expect(await readFile(stack.target.routesFile, 'utf8')).toBe(original);

      // Resume: the next run starts at the first step not verified any more.
      const resumed = await walkthrough('--yes', '--to', 'read-cutover');
      expect(resumed).toContain('Resuming at step 3 (shadow)');
      expect(resumed).toContain('✓ read-cutover verified');
      expect(await readFile(stack.target.routesFile, 'utf8')).toBe(migrated);

      const again = await walkthrough('--yes', '--from', 'read-cutover', '--to', 'read-cutover');
      expect(again).toContain('(routes.yaml already says this: unchanged)');
      expect(again).toContain('✓ read-cutover verified');

      // Writes move, and the way back is one undo: POST /cards goes to legacy again.
      const writes = await walkthrough('--yes', '--to', 'move-writes');
      expect(writes).toContain('Resuming at step 7 (move-writes)');
      expect(writes).toContain('✓ move-writes verified');
      expect(await explainUpstream('POST', '/cards')).toBe('cards-service');
      const undone = await walkthrough('--undo');
      expect(undone).toMatch(/drained: cards-reverse reports lag 0 \(after \d+ ms\)/);
      expect(undone).toContain('Undid move-writes');
      expect(await explainUpstream('POST', '/cards')).toBe('legacy');
      expect(await readFile(stack.target.routesFile, 'utf8')).toBe(migrated);
    },
    TIMEOUT_MS,
  );
});
