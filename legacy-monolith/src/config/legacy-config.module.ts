import { DynamicModule, Global, Module } from '@nestjs/common';
import type { LegacyConfig } from './legacy-config.js';
import { LEGACY_CONFIG } from './legacy-config.constant.js';

/** Makes the validated {@link LegacyConfig} injectable everywhere as `LEGACY_CONFIG`. */
@Global()
@Module({})
export class LegacyConfigModule {
  static forRoot(config: LegacyConfig): DynamicModule {
    return {
      module: LegacyConfigModule,
      providers: [{ provide: LEGACY_CONFIG, useValue: config }],
      exports: [LEGACY_CONFIG],
    };
  }
}
