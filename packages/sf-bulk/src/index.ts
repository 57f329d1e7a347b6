export {
  type AccessTokenConfig,
  type AuthMode,
  type ClientCredentialsConfig,
  DEFAULT_API_VERSION,
  ENV_NAMES,
  type JwtConfig,
  type PasswordConfig,
  parseSalesforceConfig,
  type RefreshTokenConfig,
  type ResolvedConfig,
  type SalesforceConfig,
  salesforceConfigFromEnv,
} from './config.js';
export { type ConnectOptions, connect, connectFromEnv, isTransientLoginError, signJwtAssertion } from './connect.js';
export {
  clearDescribeCache,
  describeObject,
  type FieldDescribe,
  type ObjectDescribe,
  type PreflightResult,
  preflightFields,
} from './describe.js';
export { SalesforceApiError, SalesforceAuthError } from './errors.js';
export { canonicalCell, hash53, rowHash } from './hash.js';
export { type HttpRetryOptions, refreshSession } from './http.js';
export { ingest, ingestAll } from './ingest.js';
export {
  type IngestInput,
  type IngestOptions,
  type IngestProgress,
  type IngestRetryOptions,
  type IngestRun,
  type IngestSummary,
  MAX_BYTES_PER_JOB,
  type PendingJob,
} from './ingest-types.js';
export {
  type QueryOptions,
  query,
  quoteSoqlString,
  SoqlFragment,
  type SoqlValue,
  soql,
  soqlDate,
  soqlIdentifier,
  soqlLiteral,
  soqlRaw,
} from './query.js';
export { type QueryToFileOptions, type QueryToFileResult, queryToFile } from './query-file.js';
export { type QueryPage, type QueryPagesOptions, queryPages } from './query-pages.js';
export {
  extractErrors,
  type ParsedResultError,
  parseBulkError,
  parseBulkResults,
  type SaveResultLike,
} from './results.js';
export { pendingJobRows, type ResumeOptions, resume } from './resume.js';
export type { SalesforceConnection } from './session.js';
