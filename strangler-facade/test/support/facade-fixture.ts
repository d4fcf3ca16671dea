/**
 * Boots a facade over a routes file in a fresh temp directory, with two stub upstreams (`legacy`
 * and `cards-service`), quiet logs and fast reload timings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';

import { ADMIN_TOKEN } from './http-client.js';
import { startFacade, type FacadeOptions, type RunningFacade } from '../../src/facade.js';
import { startStubUpstream, type StubUpstream } from './stub-upstream.js';

export interface FacadeFixture {
  readonly facade: RunningFacade;
  readonly legacy: StubUpstream;
  readonly cards: StubUpstream;
  readonly directory: string;
  readonly routesFile: string;
  /** routes.yaml text for the stubs; `getByIdUpstream` is the line a newcomer flips. */
  routesYaml(getByIdUpstream?: string, extra?: string): string;
  writeRoutes(text: string): Promise<void>;
  close(): Promise<void>;
}

export async function startFacadeFixture(
  options: Partial<FacadeOptions> = {},
): Promise<FacadeFixture> {
  const [legacy, cards] = await Promise.all([
    startStubUpstream('legacy'),
    startStubUpstream('cards-service'),
  ]);
  const directory = await mkdtemp(path.join(tmpdir(), 'strangler-facade-'));
  const routesFile = path.join(directory, 'routes.yaml');
  const routesYaml = (getByIdUpstream = 'legacy', extra = ''): string => `version: 1
${extra}upstreams:
  legacy:
    url: ${legacy.url}
  cards-service:
    url: ${cards.url}
rules:
  - name: cards-get-by-id
    match: { methods: [GET], path: /cards/:id }
    upstream: ${getByIdUpstream}
  - name: cards
    match: { prefix: /cards }
    upstream: legacy
default:
  upstream: legacy
`;
  await writeFile(routesFile, routesYaml());
  const facade = await startFacade({
    routesFile,
    port: 0,
    adminPort: 0,
    logger: pino({ level: 'silent' }),
    watch: { debounceMs: 20, pollIntervalMs: 100 },
    env: {},
    adminToken: ADMIN_TOKEN,
    ...options,
  });
  return {
    facade,
    legacy,
    cards,
    directory,
    routesFile,
    routesYaml,
    writeRoutes: (text) => writeFile(routesFile, text),
    async close() {
      await facade.close();
      await Promise.all([legacy.close(), cards.close()]);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
