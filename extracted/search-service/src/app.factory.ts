import 'reflect-metadata';
import { INestApplication, LoggerService, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SearchServiceModule } from './app.module.js';
import type { SearchServiceConfig } from './config/search-service.config.js';

export interface SearchServiceAppOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds search-service: global validation exactly as legacy's (the 400 bodies are part of the
 * contract), database connected. Initialised but not listening, so `main.ts` and the e2e tests
 * share it.
 */
export async function createSearchServiceApp(
  config: SearchServiceConfig,
  options: SearchServiceAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(SearchServiceModule.forConfig(config), {
    abortOnError: false,
    ...(options.logger !== undefined && { logger: options.logger }),
  });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  await app.init();
  return app;
}
