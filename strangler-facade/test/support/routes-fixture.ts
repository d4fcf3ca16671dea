/**
 * A facade over a routes.yaml the test writes itself (temp directory, quiet logs unless a
 * logger is given, fast reload), for the traffic-shifting suites.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';

import { ADMIN_TOKEN } from './http-client.js';
import { startFacade, type FacadeOptions, type RunningFacade } from '../../src/facade.js';

export interface RoutesFixture {
  readonly facade: RunningFacade;
  readonly routesFile: string;
  write(text: string): Promise<void>;
  read(): Promise<string>;
  close(): Promise<void>;
}

export async function startRoutesFixture(
  routes: string,
  options: Partial<FacadeOptions> = {},
): Promise<RoutesFixture> {
  const directory = await mkdtemp(path.join(tmpdir(), 'strangler-shift-'));
  const routesFile = path.join(directory, 'routes.yaml');
  await writeFile(routesFile, routes);
  const facade = await startFacade({
    routesFile,
    port: 0,
    adminPort: 0,
    logger: pino({ level: 'silent' }),
    watch: { debounceMs: 20, pollIntervalMs: 100 },
    env: {},
    adminToken: ADMIN_TOKEN,
    rolloutTickMs: 0,
    ...options,
  });
  return {
    facade,
    routesFile,
    write: (text) => writeFile(routesFile, text),
    read: () => readFile(routesFile, 'utf8'),
    async close() {
      await facade.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
