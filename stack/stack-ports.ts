import net from 'node:net';
import type { StackConfig } from './stack-config.js';

/** A TCP port the example listens on: which one, what wants it, and how to move it. */
export interface StackPort {
  readonly port: number;
  readonly what: string;
  readonly envVar: keyof StackConfig;
}

/** Every port `npm start` will listen on with this configuration. */
export function stackPorts(config: StackConfig): StackPort[] {
  const embeddedPostgres = !config.STRANGLER_PG_URL && !config.LEGACY_DATABASE_URL;
  const port = (envVar: keyof StackConfig & `${string}PORT`, what: string): StackPort => ({
    port: config[envVar],
    what,
    envVar,
  });
  return [
    ...(embeddedPostgres ? [port('STRANGLER_PG_PORT', 'the embedded PostgreSQL')] : []),
    port('LEGACY_PORT', 'legacy-monolith'),
    port('CARDS_SERVICE_PORT', 'cards-service'),
    port('SEARCH_SERVICE_PORT', 'search-service'),
    port('CARDS_EVENTS_PORT', "legacy-monolith's listener for cards-service's events"),
    port('STRANGLER_PORT', 'the facade'),
    port('STRANGLER_ADMIN_PORT', "the facade's admin endpoint"),
    port('SYNC_METRICS_PORT', "the cards pipeline's metrics"),
    port('CARDS_REVERSE_SYNC_METRICS_PORT', "the cards-reverse pipeline's metrics"),
    port('SEARCH_SYNC_METRICS_PORT', "the search pipeline's metrics"),
  ];
}

/** The ports of `wanted` that something else already listens on (or that two parts share). */
export async function findPortClashes(wanted: readonly StackPort[]): Promise<string[]> {
  const clashes: string[] = [];
  const seen = new Map<number, StackPort>();
  for (const entry of wanted) {
    const earlier = seen.get(entry.port);
    if (earlier) {
      clashes.push(
        `port ${entry.port} is wanted twice: by ${earlier.what} (${earlier.envVar}) and by ` +
          `${entry.what} (${entry.envVar}); set one of them to another port`,
      );
      continue;
    }
    seen.set(entry.port, entry);
    const problem = await tryListen(entry.port);
    if (problem)
      clashes.push(
        `port ${entry.port}, wanted by ${entry.what}, is ${problem}; ` +
          `stop what uses it (an earlier npm start?) or set ${entry.envVar} to another port`,
      );
  }
  return clashes;
}

/** Listens on the port for a moment (all interfaces, as the apps do): undefined if that worked. */
function tryListen(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'EADDRINUSE' ? 'already in use' : `not usable (${error.code})`),
    );
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
