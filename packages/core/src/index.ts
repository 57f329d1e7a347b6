export { dateFolder, timestamp, toIsoDate } from './dates.js';
export {
  AccountingError,
  ConfigError,
  type ConfigErrorOptions,
  describeLocation,
  InputError,
  type InputErrorOptions,
  type InputLocation,
  KicksawError,
  type KicksawErrorOptions,
} from './errors.js';
export { chunk, dedupeBy, forEachConcurrently } from './iterables.js';
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  type LogContext,
  type Logger,
  type LogLevel,
  silentLogger,
} from './logger.js';
export {
  isUnsent,
  OUTCOME_CODES,
  type OutcomeCode,
  type UnsentOutcomeInput,
  unsentOutcome,
} from './outcome-codes.js';
export {
  assertAccounted,
  BULK_OPERATIONS,
  type BulkOperation,
  countOutcome,
  emptySummary,
  type RowOutcome,
  type RowStatus,
  type RunSummary,
  type SalesforceError,
  type SalesforceRecord,
} from './outcomes.js';
export { SeededDraws, type SeededSettings, seededRandom } from './random.js';
export { REDACTED, redact, redactString } from './redact.js';
export { requireSync } from './require-sync.js';
