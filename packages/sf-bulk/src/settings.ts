// Settings of a run: every option checked once, defaults applied, the result frozen.
import { type BulkOperation, ConfigError, type Logger, silentLogger } from '@kicksaw/core';
import type { HttpContext } from './http.js';
import { type IngestOptions, type IngestProgress, MAX_BYTES_PER_JOB, type PendingJob } from './ingest-types.js';
import { zod } from './zod-lazy.js';

/** What a run reads of its options, checked and with defaults applied. @internal */
export interface EngineSettings {
  ctx: HttpContext;
  logger: Logger;
  object: string;
  operation: BulkOperation;
  /** As given; the run's resolved name is `Engine.externalIdField`. */
  externalIdField: string | undefined;
  maxBytes: number;
  maxRows: number;
  firstJobRows: number;
  /** Rows jobs grow to (doubling from `firstJobRows`): `maxRows` once a budget is set, else {@link STEADY_JOB_ROWS}. */
  grownJobRows: number;
  maxConcurrent: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  deadline: number | undefined;
  retryCodes: ReadonlySet<string>;
  maxAttempts: number;
  /** As given; the run's resolved name is `Engine.sortBy`. */
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

const WHOLE = 'must be a whole number >= 1';

/**
 * The job budgets and concurrency, checked in this order; the first bad one is reported. Built on the first run
 * that sets one of them (zod is loaded then, see zod-lazy.ts): with the defaults there is nothing to check.
 */
let budgetsSchema: ReturnType<typeof buildBudgetsSchema> | undefined;

function buildBudgetsSchema() {
  const z = zod();
  const whole = z.number().int().min(1).nullish();
  return z.object({
    maxBytesPerJob: z.number().gt(0).max(MAX_BYTES_PER_JOB).nullish(),
    maxRowsPerJob: whole,
    firstJobRows: whole,
    maxConcurrentJobs: whole,
  });
}

const BUDGET_MESSAGES: Record<string, string> = {
  maxBytesPerJob: `must be between 1 and ${MAX_BYTES_PER_JOB} (150 MB after base64)`,
  maxRowsPerJob: WHOLE,
  firstJobRows: WHOLE,
  maxConcurrentJobs: WHOLE,
};

const OPERATIONS: readonly string[] = ['insert', 'update', 'upsert', 'delete', 'hardDelete'];

/**
 * Checks what {@link ingest} alone needs (connection, object, operation, the external id of an upsert, the
 * API), then returns the settings of the run.
 *
 * @internal
 */
export function ingestSettingsOf(options: IngestOptions): Readonly<EngineSettings> {
  if (!options?.connection) throw new ConfigError('is required', { setting: 'connection' });
  if (!options.object) throw new ConfigError('is required', { setting: 'object' });
  if (!OPERATIONS.includes(options.operation)) {
    throw new ConfigError('must be insert, update, upsert, delete or hardDelete', { setting: 'operation' });
  }
  if (options.operation === 'upsert' && !options.externalIdField) {
    throw new ConfigError('is required for upsert', { setting: 'externalIdField' });
  }
  if (options.api === 'rest' && options.operation === 'hardDelete') {
    throw new ConfigError('cannot be rest for hardDelete (sObject Collections have no hard delete)', {
      setting: 'api',
    });
  }
  return settingsOf(options);
}

/**
 * Rows jobs grow to with the default budgets: each job in flight costs the client about 18 bytes a row (its
 * reconciliation index) and the job being built 16-32 more a row (the external id guard), so jobs of about 100,000 rows keep
 * that near 10 MB with three jobs in flight where jobs grown to the 100 MB budget (about 670,000 rows of 150
 * bytes) took about 60 MB, and the peak stays the same from 1M rows to any number of rows. Salesforce
 * processes a job in internal batches of 10,000 rows whatever its size, so smaller jobs cost it no more work.
 * It was 250,000 (about 25 MB); 100,000 lowered the peak RSS of a 1M-row run by about 20 MB without a cost in
 * wall time or CPU seen in interleaved runs (see the README's *Where the time goes*). 98,304 (3/4 of 2^17), not
 * 100,000: the external id guard's table is a power of two filled to at most 3/4, so 98,304 keys fit its 2 MiB
 * table where 100,000 needed the 4 MiB one (in alternated traced 1M ingests the buffers outside the heap had a
 * median of 15-16 MB against 17-19).
 *
 * @internal
 */
export const STEADY_JOB_ROWS = 98_304;

/**
 * The settings of a run (of {@link ingest} or {@link resume}): budgets checked with zod (when any is set), defaults applied,
 * the result frozen. Names the preflight resolves (external id, sort field) are the run's columns, not settings.
 *
 * @internal
 */
export function settingsOf(
  options: Omit<IngestOptions, 'records' | 'object' | 'operation'> & { object: string; operation: BulkOperation },
  abortOpenJobs = false,
): Readonly<EngineSettings> {
  const budgets = {
    maxBytesPerJob: options.maxBytesPerJob,
    maxRowsPerJob: options.maxRowsPerJob,
    firstJobRows: options.firstJobRows,
    maxConcurrentJobs: options.maxConcurrentJobs,
  };
  if (Object.values(budgets).some((value) => value !== undefined)) {
    budgetsSchema ??= buildBudgetsSchema();
    const checked = budgetsSchema.safeParse(budgets);
    if (!checked.success) {
      const setting = String(checked.error.issues[0]?.path[0] ?? 'maxBytesPerJob');
      throw new ConfigError(BUDGET_MESSAGES[setting] ?? WHOLE, { setting });
    }
  }
  const maxBytes = options.maxBytesPerJob ?? 100_000_000;
  const maxRows = options.maxRowsPerJob ?? 10_000_000;
  const budgetsSet = options.maxRowsPerJob !== undefined || options.maxBytesPerJob !== undefined;
  const firstJobRows = options.firstJobRows ?? (budgetsSet ? maxRows : 10_000);
  const grownJobRows = budgetsSet ? maxRows : Math.min(maxRows, Math.max(firstJobRows, STEADY_JOB_ROWS));
  const maxConcurrent = options.maxConcurrentJobs ?? 3;
  const logger = options.logger ?? silentLogger;
  return Object.freeze({
    ctx: { conn: options.connection, logger, ...(options.http ? { retry: options.http } : {}) },
    logger,
    object: options.object,
    operation: options.operation,
    externalIdField: options.externalIdField,
    maxBytes,
    maxRows,
    firstJobRows,
    grownJobRows,
    maxConcurrent,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    maxPollIntervalMs: options.maxPollIntervalMs ?? 10_000,
    deadline: resolveDeadline(options.deadline),
    retryCodes: new Set(options.retry?.codes ?? ['UNABLE_TO_LOCK_ROW']) as ReadonlySet<string>,
    maxAttempts: Math.max(1, options.retry?.maxAttempts ?? 3),
    sortBy: options.retry?.sortBy,
    retryUnprocessed: options.retry?.unprocessed ?? false,
    duplicateExternalIds: options.duplicateExternalIds ?? 'separate-jobs',
    spoolDirectory: options.spoolDirectory,
    spoolThresholdBytes: options.spoolThresholdBytes ?? 1024 * 1024,
    onProgress: options.onProgress,
    onJobUploaded: options.onJobUploaded,
    abortOpenJobs,
  });
}
