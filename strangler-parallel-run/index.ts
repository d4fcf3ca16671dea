export {
  operationRoute,
  ParallelRun,
  type ParallelRunCall,
  type ParallelRunMismatch,
  type ParallelRunOptions,
  type ParallelRunStats,
} from './parallel-run.js';
export { ParallelRunModule, type ParallelRunModuleOptions } from './parallel-run.module.js';
