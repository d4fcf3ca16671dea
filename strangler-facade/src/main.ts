/**
 * Process entry: `node dist/strangler-facade/src/main.js`. Reads the environment once, starts the
 * facade, logs where it listens and the route table, and shuts down gracefully on SIGINT/SIGTERM.
 * An invalid environment or rules file stops the process at once with the reason.
 */
import { pino } from 'pino';

import { facadeConfigFromEnv } from './config/facade-config.js';
import { facadeOptionsFromConfig, startFacade } from './facade.js';
import { RulesLoadError } from './rules/active-rules.js';
import { formatRouteTable } from './rules/describe-rules.js';

async function main(): Promise<void> {
  const config = facadeConfigFromEnv(process.env);
  const logger = pino({ name: 'strangler-facade', level: config.logLevel });
  const facade = await startFacade({ ...facadeOptionsFromConfig(config), logger });
  const rules = facade.currentRules();
  logger.info(
    `strangler-facade listening on ${facade.url} (admin ${facade.adminUrl}), rules ${config.routesFile} version ${rules.version} (${rules.hash})`,
  );
  // After the log line has reached stdout (pino writes asynchronously), so the table follows it.
  logger.flush(() => process.stdout.write(`${formatRouteTable(rules.table)}\n`));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, draining connections`);
    facade.close().then(
      () => {
        logger.info('stopped');
        logger.flush(() => process.exit(0));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush(() => process.exit(1));
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message =
    error instanceof RulesLoadError ||
    (error instanceof Error && error.name === 'FacadeConfigError')
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`strangler-facade failed to start: ${message}\n`);
  process.exit(1);
});
