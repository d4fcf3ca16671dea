import { Logger } from '@nestjs/common';
import { createLegacyApp } from './app.factory.js';
import { InvalidEnvironmentError, loadLegacyConfig } from './config/legacy-config.js';
import { listenForCardEvents } from './notifications/listen-for-card-events.js';

async function bootstrap(): Promise<void> {
  const config = loadLegacyConfig();
  const app = await createLegacyApp(config);
  if (config.cardEvents) await listenForCardEvents(app, config.cardEvents);
  await app.listen(config.port, '0.0.0.0');
  new Logger('LegacyMonolith').log(`listening on http://127.0.0.1:${config.port}`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidEnvironmentError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
