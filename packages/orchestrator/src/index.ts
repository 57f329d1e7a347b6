export {
  ErrorRecordsNotSavedError,
  ExecutionRecordError,
  ImportFailedError,
  IntegrationNotFoundError,
  S3ImportIncompleteError,
} from './errors.js';
export {
  claimExecution,
  type ExecutionClaim,
  type ExecutionRecordSettings,
  type ExecutionStatus,
  type ExistingExecution,
  findExecution,
  idempotencyKeyFor,
  type ResolvedExecutionRecordSettings,
  resolveExecutionRecordSettings,
  updateExecution,
} from './execution-record.js';
export {
  createS3ImportHandler,
  HANDLER_ENV_NAMES,
  type LambdaContextLike,
  type S3ImportHandlerOptions,
  type S3ImportHandlerResponse,
  type S3ImportItemResult,
  s3ImportHandlerOptionsFromEnv,
  validateS3ImportHandlerOptions,
} from './handler.js';
export { type ImportCsvOptions, type ImportCsvResult, importCsv } from './import-csv.js';
export { ImportOrchestrator } from './import-orchestrator.js';
export {
  type AttachExecutionOptions,
  type ExecutionIngestResult,
  IntegrationExecution,
  type IntegrationObjectSettings,
  type StartExecutionOptions,
} from './integration-execution.js';
export {
  type CompiledMapping,
  compileMapping,
  type ImportMapping,
  type MappedRecord,
  type RowMapper,
} from './mapping.js';
export { IMPORT_DEFAULTS, type ImportSettings } from './options.js';
export {
  type BatchResult,
  type ErrorReportSettings,
  Orchestrator,
  type OrchestratorClass,
  type OrchestratorOptions,
  type UploadedReport,
} from './orchestrator.js';
export {
  createLongLoadTasks,
  DEFAULT_OFFLOAD_BYTES,
  type LongLoadOptions,
  type LongLoadResult,
  type LongLoadState,
  type LongLoadTasks,
} from './step-functions.js';
