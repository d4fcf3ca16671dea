import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CardsModule } from './cards/cards.module.js';
import type { CardsServiceConfig } from './config/cards-service.config.js';
import { CARDS_SERVICE_CONFIG } from './config/cards-service-config.token.js';
import { createCardsDataSource } from './database/data-source.js';
import { HealthController } from './health/health.controller.js';

@Module({})
export class CardsServiceModule {
  static forConfig(config: CardsServiceConfig): DynamicModule {
    return {
      module: CardsServiceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          // A wrong DATABASE_URL should fail start-up quickly, not after minutes of retries.
          useFactory: () => ({ retryAttempts: 2, retryDelay: 500 }),
          dataSourceFactory: () => createCardsDataSource(config.databaseUrl).initialize(),
        }),
        CardsModule,
      ],
      controllers: [HealthController],
      providers: [{ provide: CARDS_SERVICE_CONFIG, useValue: config }],
      exports: [CARDS_SERVICE_CONFIG],
    };
  }
}
