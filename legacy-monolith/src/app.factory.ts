import 'reflect-metadata';
import { INestApplication, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LegacyAppModule } from './app.module.js';
import type { LegacyConfig } from './config/legacy-config.js';

export interface LegacyAppOptions {
  /** Nest logger levels; `false` silences it (tests). Default: Nest's default levels. */
  logger?: LogLevel[] | false;
}

/**
 * Builds the monolith exactly as production runs it (global pipes, shutdown hooks), initialised
 * but not listening. `main.ts` calls `listen()`; the e2e tests use `getHttpServer()`.
 */
export async function createLegacyApp(
  config: LegacyConfig,
  options: LegacyAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(LegacyAppModule.forRoot(config), {
    ...(options.logger !== undefined && { logger: options.logger }),
    abortOnError: false,
  });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.enableShutdownHooks();
  await app.init();
  return app;
}
