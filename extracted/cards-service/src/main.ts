import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createCardsServiceApp } from './app.factory.js';
import { loadCardsServiceConfig } from './config/cards-service.config.js';

async function bootstrap(): Promise<void> {
  const config = loadCardsServiceConfig();
  const app = await createCardsServiceApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port);
  new Logger('cards-service').log(`listening on :${config.port}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
