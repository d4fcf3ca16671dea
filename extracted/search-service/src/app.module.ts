import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { SearchServiceConfig } from './config/search-service.config.js';
import { createSearchDataSource } from './database/data-source.js';
import { HealthController } from './health/health.controller.js';
import { SearchModule } from './search/search.module.js';

@Module({})
export class SearchServiceModule {
  static forConfig(config: SearchServiceConfig): DynamicModule {
    return {
      module: SearchServiceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // A wrong database URL should fail start-up quickly, not after minutes of retries.
          useFactory: () => ({ retryAttempts: 2, retryDelay: 500 }),
          dataSourceFactory: () => createSearchDataSource(config.databaseUrl).initialize(),
        }),
        SearchModule,
      ],
      controllers: [HealthController],
    };
  }
}
