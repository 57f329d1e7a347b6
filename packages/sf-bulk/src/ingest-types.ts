// The public shapes of an ingest run: its options, progress, summary and the state of a pending job.
import type { Readable } from 'node:stream';
import type { BulkOperation, Logger, RowOutcome, RunSummary, SalesforceRecord } from '@kicksaw/core';
import type { HttpRetryOptions } from './http.js';
import type { SalesforceConnection } from './session.js';

/**
 * The most raw CSV a job may hold: 150 MB after base64 encoding is about 112 MB raw.
 *
 * @example
 * ```ts
 * ingest({ ...options, maxBytesPerJob: MAX_BYTES_PER_JOB });
 * ```
 */
export const MAX_BYTES_PER_JOB = 112_000_000;

/**
 * An input item: a record, a record with its row number, or a row from `@kicksaw/csv` `readCsv`.
 *
 * @example
 * ```ts
 * const item: IngestInput = { row: 7, record: { LastName: 'Lovelace' } };
 * ```
 */
export type IngestInput =
  | SalesforceRecord
  | { row: number; record: SalesforceRecord; line?: number }
  | { row: number; line?: number; problem: { code: string; message: string; raw?: string } };

/**
 * Counts reported to `onProgress`.
 *
 * @example
 * ```ts
 * ingest({ ...options, onProgress: (p: IngestProgress) => bar.update(p.rowsProcessed / p.rowsRead) });
 * ```
 */
export interface IngestProgress {
  rowsRead: number;
  rowsUploaded: number;
  rowsProcessed: number;
  rowsSucceeded: number;
  rowsFailed: number;
  rowsUnprocessed: number;
  rowsRetried: number;
  jobsOpen: number;
  jobsDone: number;
}

/**
 * Retry settings of an ingest.
 *
 * @example
 * ```ts
 * ingest({ ...options, retry: { codes: ['UNABLE_TO_LOCK_ROW'], maxAttempts: 4, sortBy: 'AccountId' } });
 * ```
 */
export interface IngestRetryOptions {
  /** Error codes whose rows are sent again. Default `['UNABLE_TO_LOCK_ROW']`. */
  codes?: string[];
  /** Total attempts per row, the first included. Default 3. */
  maxAttempts?: number;
  /** Sort retried rows by this field (a parent id) so that rows of one parent share a job. */
  sortBy?: string;
  /** Also send again the rows a Failed or Aborted job left unprocessed. Default false. */
  unprocessed?: boolean;
}

/**
 * Options of {@link ingest}.
 *
 * @example
 * ```ts
 * const options: IngestOptions = { connection, object: 'Account', operation: 'insert', records: [{ Name: 'Acme' }] };
 * ```
 */
export interface IngestOptions {
  /**
   * A jsforce connection (see `connect`), whose session is renewed through jsforce when it expires, or a plain
   * {@link SalesforceConnection} (`{ instanceUrl, accessToken }`), for which jsforce is never loaded.
   */
  connection: SalesforceConnection;
  /** The sObject API name, e.g. `Contact`. */
  object: string;
  operation: BulkOperation;
  /** The external id field of an upsert. */
  externalIdField?: string;
  /**
   * The rows: an (async) iterable of records, of `{ row, record }`, of `@kicksaw/csv` rows, or a CSV
   * byte stream (a `Readable` or an async iterable of Buffers/strings, header first).
   */
  records: Iterable<IngestInput> | AsyncIterable<IngestInput> | Readable | AsyncIterable<Uint8Array | string>;
  /** The columns, in order. Default: the keys of the first record. */
  fields?: string[];
  /** Raw CSV bytes per job. Default 100,000,000; at most 112,000,000 (150 MB base64). */
  maxBytesPerJob?: number;
  /** Rows per job. Default 10,000,000. */
  maxRowsPerJob?: number;
  /**
   * Rows of the first job; each later job may hold twice as many as the one before, up to
   * `maxRowsPerJob` and `maxBytesPerJob`. A small first job lets Salesforce start at once instead of
   * waiting while the client builds a 100 MB job. Default 10,000 when neither `maxRowsPerJob` nor
   * `maxBytesPerJob` is set, and jobs then grow to 98,304 rows (or to this, if larger), which bounds the
   * client's bookkeeping of the jobs in flight; otherwise `maxRowsPerJob` (every job as large as its budgets
   * allow).
   */
  firstJobRows?: number;
  /** Jobs in flight at once. Default 3. */
  maxConcurrentJobs?: number;
  /**
   * Shortest wait between status polls of a job, ms, and the first one. Default 250. While a job
   * reports no progress the wait grows 1.5x a poll; once its `numberRecordsProcessed` moves, the wait
   * is half the time its processing rate says is left (at least this, at most `maxPollIntervalMs`).
   */
  pollIntervalMs?: number;
  /** Longest wait between polls. Default 10,000. */
  maxPollIntervalMs?: number;
  /** Stop waiting at this time: jobs stay running and {@link IngestRun.pendingJobs} lists them for {@link resume}. */
  deadline?: Date | number;
  retry?: IngestRetryOptions;
  /** Check the columns against the object's describe first. Default true. */
  preflight?: boolean;
  /** Upsert rows sharing an external id value: put them in separate jobs (default) or fail the later ones unsent. */
  duplicateExternalIds?: 'separate-jobs' | 'fail';
  /** `auto` (default): sObject Collections for at most `restMaxRows` rows, Bulk API 2.0 above. */
  api?: 'auto' | 'bulk' | 'rest';
  /** Largest input that `api: 'auto'` sends through sObject Collections. Default 200. */
  restMaxRows?: number;
  logger?: Logger;
  onProgress?: (progress: IngestProgress) => void;
  /** HTTP retries on 429/5xx/network errors. */
  http?: HttpRetryOptions;
  /** Where job CSVs above `spoolThresholdBytes` and downloaded results are spooled. Default: the OS temp dir. */
  spoolDirectory?: string;
  /**
   * Job CSVs up to this size stay in memory; larger ones are written to a temporary file as they are built. Default
   * 1 MiB (one encoding chunk): a job's CSV then never holds more than a chunk of memory, however long its upload
   * and results take (it was 4 MiB until 2026-12-06; the first jobs of a run, under that, stayed in memory until
   * their results were read).
   */
  spoolThresholdBytes?: number;
  /** The input's name in messages, e.g. `s3://in/contacts.csv`. */
  source?: string;
  /**
   * Called with a job's state once its data is uploaded and before it is closed (`UploadComplete`),
   * retries' jobs included: write it somewhere durable (a write-ahead checkpoint) and a process that
   * dies later can {@link resume} the job instead of sending its rows again. When it throws, the job
   * is aborted and its rows come out unprocessed (`KICKSAW_JOB_NOT_STARTED`), never sent.
   */
  onJobUploaded?: (job: PendingJob) => Promise<void> | void;
}

/**
 * A job left running at a deadline, as plain JSON: store it (S3, a Step Functions state) and pass it
 * to {@link resume} later. `index` is the compact reconciliation index (13 bytes a row, base64: about 17.5 characters a row).
 *
 * @example
 * ```ts
 * const jobs: PendingJob[] = run.pendingJobStates();
 * await writeFile('pending.json', JSON.stringify(jobs));
 * ```
 */
export interface PendingJob {
  version: 1;
  jobId: string;
  object: string;
  operation: BulkOperation;
  externalIdField?: string;
  fields: string[];
  rows: number;
  index: { hashes: string; rows: string; attempts: string };
  retry: { codes: string[]; maxAttempts: number; sortBy?: string; unprocessed?: boolean };
}

/**
 * The summary of an ingest: {@link RunSummary} plus what was left running.
 *
 * @example
 * ```ts
 * const { input, succeeded, failed, pending }: IngestSummary = await run.summary();
 * ```
 */
export interface IngestSummary extends RunSummary {
  /**
   * Rows in jobs left running (not in `input`; their outcomes come from {@link resume}): at the
   * deadline, or because polling a job or reading its results failed.
   */
  pending: number;
  /** Ids of the jobs holding the `pending` rows. */
  pendingJobIds: string[];
  /** Bulk jobs created. */
  jobs: number;
  /** Row sends beyond the first (retries). */
  retried: number;
  /** Result rows that matched no sent row (should be 0; logged as errors). */
  unmatchedResults: number;
  /** Which API carried the rows. */
  api: 'bulk' | 'rest' | 'none';
}

/**
 * A running ingest: iterate it for the outcomes (one per row), then read the summary.
 *
 * @example
 * ```ts
 * const run: IngestRun = ingest(options);
 * for await (const outcome of run) console.log(outcome.row, outcome.status);
 * console.log(await run.summary(), run.pendingJobs());
 * ```
 */
export interface IngestRun extends AsyncIterable<RowOutcome> {
  /** Resolves when the run is done (draining the outcomes if nobody iterates); checked with assertAccounted. */
  summary(): Promise<IngestSummary>;
  /** Ids of jobs left running at the deadline. */
  pendingJobs(): string[];
  /** The full serializable state of those jobs, for {@link resume}. */
  pendingJobStates(): PendingJob[];
}
