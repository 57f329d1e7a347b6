// Settings of a run: every option checked once, defaults applied, the result frozen.
import { type BulkOperation, ConfigError, type Logger, silentLogger } from '@kicksaw/core';
import type { HttpContext } from './http.js';
import { type IngestOptions, type IngestProgress, MAX_BYTES_PER_JOB, type PendingJob } from './ingest-types.js';

/** What a run reads of its options, checked and with defaults applied. @internal */
export interface EngineSettings {
  ctx: HttpContext;
  logger: Logger;
  object: string;
  operation: BulkOperation;
  externalIdField: string | undefined;
  maxBytes: number;
  maxRows: number;
  firstJobRows: number;
  maxConcurrent: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  deadline: number | undefined;
  retryCodes: Set<string>;
  maxAttempts: number;
  sortBy: string | undefined;
  retryUnprocessed: boolean;
  duplicateExternalIds: 'separate-jobs' | 'fail';
  spoolDirectory: string | undefined;
  spoolThresholdBytes: number;
  onProgress: ((progress: IngestProgress) => void) | undefined;
  onJobUploaded: ((job: PendingJob) => Promise<void> | void) | undefined;
  abortOpenJobs: boolean;
}

function resolveDeadline(deadline: Date | number | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** @internal */
export function settingsOf(
  options: Omit<IngestOptions, 'records' | 'object' | 'operation'> & { object: string; operation: BulkOperation },
): EngineSettings {
  const maxBytes = options.maxBytesPerJob ?? 100_000_000;
  if (!(maxBytes > 0) || maxBytes > MAX_BYTES_PER_JOB) {
    throw new ConfigError(`must be between 1 and ${MAX_BYTES_PER_JOB} (150 MB after base64)`, {
      setting: 'maxBytesPerJob',
    });
  }
  const maxRows = options.maxRowsPerJob ?? 10_000_000;
  if (!Number.isInteger(maxRows) || maxRows < 1)
    throw new ConfigError('must be a whole number >= 1', { setting: 'maxRowsPerJob' });
  const budgetsSet = options.maxRowsPerJob !== undefined || options.maxBytesPerJob !== undefined;
  const firstJobRows = options.firstJobRows ?? (budgetsSet ? maxRows : 10_000);
  if (!Number.isInteger(firstJobRows) || firstJobRows < 1) {
    throw new ConfigError('must be a whole number >= 1', { setting: 'firstJobRows' });
  }
  const maxConcurrent = options.maxConcurrentJobs ?? 3;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new ConfigError('must be a whole number >= 1', { setting: 'maxConcurrentJobs' });
  }
  const logger = options.logger ?? silentLogger;
  return {
    ctx: { conn: options.connection, logger, ...(options.http ? { retry: options.http } : {}) },
    logger,
    object: options.object,
    operation: options.operation,
    externalIdField: options.externalIdField,
    maxBytes,
    maxRows,
    firstJobRows,
    maxConcurrent,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    maxPollIntervalMs: options.maxPollIntervalMs ?? 10_000,
    deadline: resolveDeadline(options.deadline),
    retryCodes: new Set(options.retry?.codes ?? ['UNABLE_TO_LOCK_ROW']),
    maxAttempts: Math.max(1, options.retry?.maxAttempts ?? 3),
    sortBy: options.retry?.sortBy,
    retryUnprocessed: options.retry?.unprocessed ?? false,
    duplicateExternalIds: options.duplicateExternalIds ?? 'separate-jobs',
    spoolDirectory: options.spoolDirectory,
    spoolThresholdBytes: options.spoolThresholdBytes ?? 4 * 1024 * 1024,
    onProgress: options.onProgress,
    onJobUploaded: options.onJobUploaded,
    abortOpenJobs: false,
  };
}
