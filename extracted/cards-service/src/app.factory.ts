import { INestApplication, LoggerService, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CardsServiceModule } from './app.module.js';
import type { CardsServiceConfig } from './config/cards-service.config.js';

export interface CardsServiceAppOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds cards-service: modules, global validation as the contract states it, database
 * connected. Initialised but not listening, so `main.ts` and the e2e tests share it.
 */
export async function createCardsServiceApp(
  config: CardsServiceConfig,
  options: CardsServiceAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(CardsServiceModule.forConfig(config), {
    abortOnError: false,
    ...(options.logger !== undefined && { logger: options.logger }),
  });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  await app.init();
  return app;
}
