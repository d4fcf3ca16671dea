import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { CliIo } from '../../cli/cli-io.js';
import { contentHash } from '../../strangler-facade/src/rules/read-rules-file.js';
import { runWalkthrough, undoLast, type Prompter } from '../src/engine.js';
import { readState, writeState } from '../src/state-file.js';
import type { StepContext, WalkthroughStep } from '../src/step.js';

/**
 * The step engine with fake steps: order, state file, resume, --from, a failed verification,
 * undo (the routes text put back and the facade's `/status` awaited), the interactive prompt.
 */
describe('walkthrough engine', () => {
  let dir: string;
  let routesFile: string;
  let stateFile: string;
  let output: string;
  let admin: http.Server;
  let context: StepContext;
  const calls: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'walkthrough-spec-'));
    routesFile = path.join(dir, 'routes.yaml');
    stateFile = path.join(dir, 'state', 'walkthrough-state.json');
    await writeFile(routesFile, 'v0\n');
    output = '';
    calls.length = 0;
    // A facade admin plane that serves whatever the routes file holds.
    admin = http.createServer((_req, res) => {
      void readFile(routesFile, 'utf8').then((text) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ hash: contentHash(text), version: 1 }));
      });
    });
    await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
    const adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
    const io: CliIo = {
      out: (text) => {
        output += text;
      },
      err: (text) => {
        output += text;
      },
      env: {},
      cwd: dir,
      color: false,
    };
    context = {
      io,
      repoRoot: dir,
      note: (line) => io.out(`  ${line}\n`),
      target: {
        facadeUrl: 'http://127.0.0.1:1',
        adminUrl,
        legacyUrl: 'http://127.0.0.1:1',
        cardsServiceUrl: 'http://127.0.0.1:1',
        searchServiceUrl: 'http://127.0.0.1:1',
        legacyDatabaseUrl: 'postgres://unused/legacy',
        cardsDatabaseUrl: 'postgres://unused/cards',
        searchDatabaseUrl: 'postgres://unused/search',
        routesFile,
        authTokenSecret: 'secret-for-tests',
      },
    };
  });

  afterEach(async () => {
    admin.closeAllConnections();
    await new Promise((resolve) => admin.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** A step that writes `text` into the routes file; verification as `ok()` says. */
  function routesStep(id: string, text: string, ok: () => boolean = () => true): WalkthroughStep {
    return {
      id,
      title: `title of ${id}`,
      pattern: 'Test Pattern',
      explain: `explanation of ${id}`,
      available: true,
      async change() {
        return {
          summary: `${id} writes ${text}`,
          routes: { before: await readFile(routesFile, 'utf8'), after: `${text}\n` },
        };
      },
      async apply() {
        calls.push(`apply ${id}`);
        const before = await readFile(routesFile, 'utf8');
        await writeFile(routesFile, `${text}\n`);
        return { routesBefore: before };
      },
      async verify() {
        calls.push(`verify ${id}`);
        return { ok: ok(), lines: [`checked ${id}`] };
      },
    };
  }

  const later: WalkthroughStep = {
    id: 'later',
    title: 'not yet',
    pattern: 'Future Pattern',
    explain: 'explanation of later',
    available: false,
    missing: 'a missing piece',
  };

  it('runs the steps in order, records each verified one, explains an unavailable one', async () => {
    const steps = [routesStep('one', 'v1'), routesStep('two', 'v2'), later];
    const outcome = await runWalkthrough({ steps, context, stateFile, yes: true });
    expect(outcome).toMatchObject({ ok: true, verified: ['one', 'two'], notAvailable: ['later'] });
    expect(calls).toEqual(['apply one', 'verify one', 'apply two', 'verify two']);
    expect(await readFile(routesFile, 'utf8')).toBe('v2\n');
    const state = await readState(stateFile, routesFile);
    expect(state.completed.map((done) => [done.id, done.verified, done.routesBefore])).toEqual([
      ['one', true, 'v0\n'],
      ['two', true, 'v1\n'],
    ]);
    expect(output).toContain('Step 1/3 · one · Test Pattern');
    expect(output).toContain('explanation of one');
    expect(output).toContain('- v0\n');
    expect(output).toContain('+ v1\n');
    expect(output).toContain('✓ two verified');
    expect(output).toContain('not available yet: a missing piece');
  });

  it('resumes after the last verified step', async () => {
    const steps = [routesStep('one', 'v1'), routesStep('two', 'v2')];
    await runWalkthrough({ steps: [steps[0]], context, stateFile, yes: true });
    calls.length = 0;
    const outcome = await runWalkthrough({ steps, context, stateFile, yes: true });
    expect(outcome.verified).toEqual(['two']);
    expect(calls).toEqual(['apply two', 'verify two']);
    expect(output).toContain('Resuming at step 2 (two)');
  });

  it('says so when every available step is done', async () => {
    const steps = [routesStep('one', 'v1'), later];
    await runWalkthrough({ steps, context, stateFile, yes: true });
    calls.length = 0;
    const outcome = await runWalkthrough({ steps, context, stateFile, yes: true });
    expect(outcome.verified).toEqual([]);
    expect(calls).toEqual([]);
    expect(output).toContain('Every available step of the walkthrough is done');
  });

  it('stops at a failed verification; the next run retries it, and undo goes back past both tries', async () => {
    let passes = false;
    const steps = [routesStep('one', 'v1'), routesStep('two', 'v2', () => passes)];
    const first = await runWalkthrough({ steps, context, stateFile, yes: true });
    expect(first).toMatchObject({ ok: false, failed: 'two', verified: ['one'] });
    expect(output).toContain('✗ two: verification failed');
    passes = true;
    calls.length = 0;
    const second = await runWalkthrough({ steps, context, stateFile, yes: true });
    expect(second).toMatchObject({ ok: true, verified: ['two'] });
    expect(calls).toEqual(['apply two', 'verify two']);
    // The record keeps the text from before the first attempt.
    expect(await undoLast({ steps, context, stateFile })).toBe('two');
    expect(await readFile(routesFile, 'utf8')).toBe('v1\n');
  });

  it('a throwing verification counts as failed', async () => {
    const broken: WalkthroughStep = {
      ...routesStep('one', 'v1'),
      verify: () => Promise.reject(new Error('facade unreachable')),
    };
    const outcome = await runWalkthrough({ steps: [broken], context, stateFile, yes: true });
    expect(outcome).toMatchObject({ ok: false, failed: 'one' });
    expect(output).toContain('FAILED: facade unreachable');
  });

  it('--from runs again from a step and forgets the records after it', async () => {
    const steps = [routesStep('one', 'v1'), routesStep('two', 'v2'), routesStep('three', 'v3')];
    await runWalkthrough({ steps, context, stateFile, yes: true });
    calls.length = 0;
    const outcome = await runWalkthrough({ steps, context, stateFile, yes: true, from: 'two' });
    expect(outcome.verified).toEqual(['two', 'three']);
    expect(calls).toEqual(['apply two', 'verify two', 'apply three', 'verify three']);
    const state = await readState(stateFile, routesFile);
    expect(state.completed.map((done) => done.id)).toEqual(['one', 'two', 'three']);
    await expect(
      runWalkthrough({ steps, context, stateFile, yes: true, from: 'nope' }),
    ).rejects.toThrow('no step "nope"; the steps are: one, two, three');
  });

  it('undo puts back the routes text, one step at a time, waiting for the facade', async () => {
    const steps = [routesStep('one', 'v1'), routesStep('two', 'v2')];
    await runWalkthrough({ steps, context, stateFile, yes: true });
    expect(await undoLast({ steps, context, stateFile })).toBe('two');
    expect(await readFile(routesFile, 'utf8')).toBe('v1\n');
    expect(await undoLast({ steps, context, stateFile })).toBe('one');
    expect(await readFile(routesFile, 'utf8')).toBe('v0\n');
    expect(await undoLast({ steps, context, stateFile })).toBeUndefined();
    expect(output).toContain('Nothing to undo');
    // After undoing, the walkthrough starts at the first step again.
    calls.length = 0;
    await runWalkthrough({ steps: [steps[0]], context, stateFile, yes: true });
    expect(calls).toEqual(['apply one', 'verify one']);
  });

  it("undo runs the step's beforeUndo first, while the routes are still the step's", async () => {
    const seen: string[] = [];
    const two: WalkthroughStep = {
      ...routesStep('two', 'v2'),
      async beforeUndo() {
        seen.push(await readFile(routesFile, 'utf8'));
      },
    };
    const steps = [routesStep('one', 'v1'), two];
    await runWalkthrough({ steps, context, stateFile, yes: true });
    expect(await undoLast({ steps, context, stateFile })).toBe('two');
    expect(seen).toEqual(['v2\n']);
    expect(await readFile(routesFile, 'utf8')).toBe('v1\n');
  });

  it('interactive: q quits before applying, s hides the later explanations', async () => {
    const answers = ['s', 'q'];
    const questions: string[] = [];
    const prompter: Prompter = {
      ask: (question) => {
        questions.push(question);
        return Promise.resolve(answers.shift() ?? '');
      },
    };
    const steps = [routesStep('one', 'v1'), routesStep('two', 'v2')];
    const outcome = await runWalkthrough({ steps, context, stateFile, yes: false, prompter });
    expect(outcome).toMatchObject({ quit: true, verified: ['one'] });
    expect(calls).toEqual(['apply one', 'verify one']);
    expect(questions).toHaveLength(2);
    expect(output).toContain('explanation of one');
    expect(output).not.toContain('explanation of two');
    expect(output).toContain('Stopped before two');
    await expect(runWalkthrough({ steps, context, stateFile, yes: false })).rejects.toThrow(
      'pass --yes',
    );
  });

  it('interactive: only Enter or y applies; n, quit and anything unknown do not', async () => {
    const answers = ['n', 'maybe', 'quit '];
    const prompter: Prompter = {
      ask: () => Promise.resolve(answers.shift() ?? ''),
    };
    const steps = [routesStep('one', 'v1')];
    const outcome = await runWalkthrough({ steps, context, stateFile, yes: false, prompter });
    expect(outcome).toMatchObject({ quit: true, verified: [] });
    expect(calls).toEqual([]);
    expect(output).toContain('"n"? answer Enter or y to apply, s to skip explanations, q to quit');
    expect(output).toContain('"maybe"? answer Enter or y');
    expect(output).toContain('Stopped before one');

    answers.push('Y');
    const applied = await runWalkthrough({ steps, context, stateFile, yes: false, prompter });
    expect(applied).toMatchObject({ quit: false, verified: ['one'] });
    expect(calls).toEqual(['apply one', 'verify one']);
  });

  it('a state file about another routes file is not used', async () => {
    await writeState(stateFile, {
      version: 1,
      routesFile: '/elsewhere/routes.yaml',
      completed: [{ id: 'one', at: 'x', verified: true }],
    });
    expect((await readState(stateFile, routesFile)).completed).toEqual([]);
    await writeFile(stateFile, '{"something": "else"}');
    await expect(readState(stateFile, routesFile)).rejects.toThrow('not a walkthrough state file');
  });
});
