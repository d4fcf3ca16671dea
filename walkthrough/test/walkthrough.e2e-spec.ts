import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runStrangler } from '../../cli/strangler.js';
import type { CliIo } from '../../cli/cli-io.js';
import { cardsWalkthrough } from '../src/cards-steps.js';
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
    'verifies every available step and explains the ones not available yet',
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
      expect(output).toMatch(/Walkthrough done: 6 steps verified, 4 not available yet/);
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

  it(
    'resumes, undoes the cutover and the canary, and runs again from a step',
    async () => {
      const original = await readFile(stack.target.routesFile, 'utf8');
      // The whole walkthrough, as a user with npm start running would do it.
      await walkthrough('--yes', '--from', 'baseline');
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
      const resumed = await walkthrough('--yes');
      expect(resumed).toContain('Resuming at step 3 (shadow)');
      expect(resumed).toContain('✓ read-cutover verified');
      expect(await readFile(stack.target.routesFile, 'utf8')).toBe(migrated);

      const again = await walkthrough('--yes', '--from', 'read-cutover');
      expect(again).toContain('(routes.yaml already says this: unchanged)');
      expect(again).toContain('✓ read-cutover verified');
    },
    TIMEOUT_MS,
  );
});
