/**
 * NestJS adapter: `ParallelRunModule.forRoot(options)` provides one `ParallelRun` that services
 * inject by class.
 */
import { DynamicModule, Module } from '@nestjs/common';
import { ParallelRun, ParallelRunOptions } from './parallel-run.js';

export interface ParallelRunModuleOptions extends ParallelRunOptions {
  /** Register the module globally (default false: import it where it is used). */
  readonly global?: boolean;
}

@Module({})
export class ParallelRunModule {
  static forRoot(options: ParallelRunModuleOptions = {}): DynamicModule {
    const { global = false, ...runOptions } = options;
    return {
      module: ParallelRunModule,
      global,
      providers: [{ provide: ParallelRun, useFactory: () => new ParallelRun(runOptions) }],
      exports: [ParallelRun],
    };
  }
}
