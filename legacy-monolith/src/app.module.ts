import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdminModule } from './admin/admin.module.js';
import { CardsModule } from './cards/cards.module.js';
import type { LegacyConfig } from './config/legacy-config.js';
import { LegacyConfigModule } from './config/legacy-config.module.js';
import { legacyDataSourceOptions } from './database/data-source.js';
import { FeedModule } from './feed/feed.module.js';
import { HealthController } from './health/health.controller.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { SearchModule } from './search/search.module.js';
import { UsersModule } from './users/users.module.js';

/** The whole monolith: its feature modules on one database. */
@Module({})
export class LegacyAppModule {
  static forRoot(config: LegacyConfig): DynamicModule {
    return {
      module: LegacyAppModule,
      imports: [
        LegacyConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...legacyDataSourceOptions(config.databaseUrl), retryAttempts: 3 }),
          dataSourceFactory: async (options) => {
            if (!options) throw new Error('legacy DataSource options are missing');
            return new DataSource(options).initialize();
          },
        }),
        UsersModule,
        CardsModule,
        FeedModule,
        SearchModule,
        AdminModule,
        NotificationsModule,
      ],
      controllers: [HealthController],
    };
  }
}
