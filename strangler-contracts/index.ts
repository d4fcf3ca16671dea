/**
 * strangler-contracts: contract tests old versus new. Case files (YAML) per endpoint, run on
 * both sides, compared with strangler-compare; text report, JUnit XML. See docs/contract-tests.md.
 */
export {
  caseFileSchema,
  type ContractCase,
  type ContractCaseFile,
  type ContractCompareOptions,
  type ContractRequest,
} from './src/case-file.schema.js';
export type {
  CaseOutcome,
  ComparedExchange,
  ContractCaseResult,
  ContractRunResult,
  EndpointTally,
  SideExchange,
} from './src/contract-results.js';
export { renderJunitXml } from './src/junit-report.js';
export {
  ContractCasesError,
  loadCaseFiles,
  parseCaseFile,
  type LoadedCaseFile,
  type SourcePosition,
} from './src/load-case-files.js';
export { loadVarsFile, parseVarAssignments } from './src/load-vars.js';
export { renderCaseDetails, renderCaseLine, renderRunReport } from './src/render-report.js';
export {
  ContractSideUnreachableError,
  runContracts,
  type RunContractsOptions,
} from './src/run-contracts.js';
export { runCli } from './src/cli.js';
export { recordCases, type RecordCasesOptions, type RecordedCases } from './src/record-cases.js';
