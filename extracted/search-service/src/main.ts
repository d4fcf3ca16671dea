import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createSearchServiceApp } from './app.factory.js';
import { loadSearchServiceConfig } from './config/search-service.config.js';

async function bootstrap(): Promise<void> {
  const config = loadSearchServiceConfig();
  const app = await createSearchServiceApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port);
  new Logger('search-service').log(`listening on :${config.port}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
